"""Runs against a rate-limited provider: one pace for every worker process, and no item lost to a 429."""

import pytest
import redis
from django.conf import settings

from ai.models import AITaskLog
from automation.models import AutomationLogEntry, RunStatus
from planner.models import Keyword
from tests.integration.pipeline import (
    BASE,
    assert_exactly_once,
    run_of,
    setup_site,
    start_run,
    wait_until_ended,
)
from tests.triggers import before_row_trigger
from tests.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
STRICT_RETRIES = {"OPENAI_MAX_RETRIES": "0"}  # a 429 counted as a retry would fail the item at once


def refusals(server) -> int:
    return sum(1 for entry in server.requests if entry["status"] == 429)


def forget_learned_limits() -> None:
    """What an hour without calls does: the key's pace in Redis is forgotten."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("*ai_pace*"):
        client.delete(key)


def test_two_worker_processes_share_one_pace_and_no_item_fails_for_a_429(fake_openai, start_worker):
    fake_openai.configure(latency_ms=50, limit_requests=4, limit_window=2)
    for _ in range(2):
        start_worker(concurrency=1, **STRICT_RETRIES)
    sites = [setup_site() for _ in range(2)]
    run_ids = [start_run(client, site) for _, site, client in sites]
    runs = [wait_until_ended(run_id, timeout=240) for run_id in run_ids]
    assert [run.status for run in runs] == ["completed", "completed"], [run.error_message for run in runs]
    for (_, site, _), run in zip(sites, runs, strict=True):
        assert_exactly_once(site, run)
    assert not AITaskLog.objects.filter(status=AITaskLog.Status.FAILED).exists()
    served = fake_openai.requests
    assert len({entry["time"] for entry in served}) >= 30  # enough calls to have met the limit often
    # Each process pacing alone would go at the whole limit: together, twice it, half refused.
    assert refusals(fake_openai) <= 2, f"{refusals(fake_openai)} of {len(served)} refused"


def test_a_run_kept_waiting_past_the_longest_wait_pauses_rate_limited_and_loses_nothing(
    fake_openai, start_worker
):
    # One request a minute, and calls may wait 2 s: the run's first AI stage cannot go on.
    fake_openai.configure(limit_requests=1, limit_window=60, limit_headers=False)
    start_worker(AI_RATE_LIMIT_MAX_WAIT_SECONDS="2", **STRICT_RETRIES)
    account, site, client = setup_site()
    run_id = start_run(client, site)
    run = wait_for(
        lambda: (run := run_of(run_id)).status != RunStatus.RUNNING and run, timeout=60, what="the pause"
    )
    assert (run.status, run.pause_reason) == (RunStatus.PAUSED, "rate_limited"), run.error_message
    assert not AITaskLog.objects.filter(status=AITaskLog.Status.FAILED).exists()
    assert (
        Keyword.objects.filter(site=site, status="new").count() == Keyword.objects.filter(site=site).count()
    )
    # The provider has room again: the resumed run does every item, once.
    fake_openai.configure(limit_requests=0)
    forget_learned_limits()
    assert client.post(f"{BASE}/resume/?site_id={site.pk}&run_id={run_id}").status_code == 200
    run = wait_until_ended(run_id, timeout=120)
    assert run.status == "completed" and run.pause_reason == "", run.error_message
    assert_exactly_once(site, run)
    assert not Keyword.objects.filter(site=site, status="new").exists()


def test_a_run_resumed_before_its_executor_stopped_does_the_items_that_waited(fake_openai, start_worker):
    """The items whose call waited out the limit go back in line: the pass that goes on does them."""
    fake_openai.configure(limit_requests=1, limit_window=60, limit_headers=False)
    start_worker(AI_RATE_LIMIT_MAX_WAIT_SECONDS="2", **STRICT_RETRIES)
    account, site, client = setup_site()
    # A user who resumes the run the moment it pauses for the rate limit, before its executor looks again.
    with before_row_trigger(
        "igny8_test_resumed_at_once",
        event="UPDATE",
        table="automation_automationrun",
        when="NEW.status = 'paused' AND NEW.pause_reason = 'rate_limited'",
        body="NEW.status := 'running'; NEW.pause_reason := ''; NEW.resumed_at := now(); RETURN NEW;",
    ):
        run_id = start_run(client, site)
        wait_for(
            lambda: AutomationLogEntry.objects.filter(
                run__run_id=run_id, message__contains="waited past the provider's rate limit"
            ).exists(),
            timeout=60,
            what="a call waiting past the limit",
        )
        fake_openai.configure(limit_requests=0)
        forget_learned_limits()
        run = wait_until_ended(run_id, timeout=120)
    assert run.status == "completed", run.error_message
    assert_exactly_once(site, run)
    assert not Keyword.objects.filter(site=site, status="new").exists()
    assert run.stage_1_result["keywords_processed"] == Keyword.objects.filter(site=site).count()
