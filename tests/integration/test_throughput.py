"""A run as fast as the provider allows, on any worker, without giving up its guarantees."""

import bisect
import time

import pytest
from django.db import connection

from ai.models import AITaskLog
from automation.models import AutomationLogEntry
from billing.models import CreditTransaction
from billing.services import credits_deduct
from tenancy.models import Account
from tests.integration.pipeline import assert_exactly_once, run_of, setup_site, start_run, wait_until_ended
from tests.triggers import before_insert_trigger
from tests.waiting import wait_for
from writer.models import Content

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
LATENCY = 0.3


def most_in_flight(server, schema_name: str) -> int:
    """The most calls of one function that were at the server at the same moment."""
    times = sorted(e["time"] for e in server.requests if e["schema_name"] == schema_name)
    return max((sum(1 for t in times if start <= t < start + LATENCY * 0.9) for start in times), default=0)


def test_a_stage_keeps_several_calls_in_flight_across_batches_of_one(fake_openai, start_worker):
    start_worker()  # AI_CONCURRENCY=4
    fake_openai.configure(latency_ms=int(LATENCY * 1000))
    account, site, client = setup_site(stage_4_batch_size=1)
    run = wait_until_ended(start_run(client, site))
    assert run.status == "completed", run.error_message
    assert 2 <= most_in_flight(fake_openai, "generate_content") <= 4
    assert_exactly_once(site, run)


@pytest.fixture
def slow_image_commits():
    """Each image's AI log row takes 40 ms to insert, so its commit is slower than the next call."""
    with before_insert_trigger(
        "test_slow_image_log",
        table=AITaskLog._meta.db_table,
        body="PERFORM pg_sleep(0.04); RETURN NEW;",
        when="NEW.function = 'generate_images'",
    ):
        yield


def test_a_call_goes_out_without_waiting_for_the_commits_of_earlier_answers(
    fake_openai, start_worker, slow_image_commits
):
    # Calls of 20 ms answer faster than two database threads commit them (each commit is held 40 ms):
    # the answers queue up, and the calls must go on regardless (AI_CONCURRENCY=4: 5 batches calling,
    # 15 in all).
    start_worker()
    fake_openai.configure(latency_ms=20, fixed_image=True)
    account, site, client = setup_site(images_per_content=4)
    run = wait_until_ended(start_run(client, site))
    assert run.status == "completed", run.error_message
    sent = sorted(e["time"] for e in fake_openai.requests if e["path"] == "/v1/images/generations")
    committing = sorted(
        log.timestamp()
        for log in AITaskLog.objects.filter(
            automation_run_id=run.run_id, function="generate_images"
        ).values_list("created_at", flat=True)
    )
    ahead = max(bisect.bisect_right(sent, t) - bisect.bisect_right(committing, t) for t in sent)
    # Waiting for the commits, the calls sent could pass them by 5 batches only.
    assert ahead > 5 + 2, f"{ahead} of {len(sent)} calls went out ahead of their commits"
    assert_exactly_once(site, run)


def test_the_run_never_spends_more_than_its_credit_cap(fake_openai, start_worker):
    start_worker()
    account, site, client = setup_site(max_credits_per_run=20)
    run = wait_until_ended(start_run(client, site))
    charged = -sum(
        CreditTransaction.objects.filter(automation_run_id=run.run_id).values_list("amount", flat=True)
    )
    assert run.status == "completed", run.error_message
    assert charged == run.total_credits_used and 0 < charged <= 20
    assert any(
        result and result.get("partial_reason") == "max_credits_per_run reached"
        for result in (run.stage_result(number) for number in range(1, 8))
    )


def test_a_plain_worker_started_without_queues_runs_automation(fake_openai, start_worker):
    start_worker(queues=None)
    account, site, client = setup_site()
    run = wait_until_ended(start_run(client, site))
    assert run.status == "completed", run.error_message


def test_a_run_hands_its_worker_back_after_its_slice_and_still_finishes_exactly_once(
    fake_openai, start_worker
):
    start_worker(AUTOMATION_SLICE_SECONDS="1")
    fake_openai.configure(latency_ms=200)
    account, site, client = setup_site()
    run = wait_until_ended(start_run(client, site))
    assert run.status == "completed", run.error_message
    assert AutomationLogEntry.objects.filter(
        run=run, message__startswith="Executor yields its worker"
    ).exists()
    assert_exactly_once(site, run)


def test_calls_in_flight_hold_no_database_connection(fake_openai, start_worker):
    """Sixteen calls at once are sixteen threads waiting on the provider, not sixteen connections."""
    start_worker(AI_CONCURRENCY="16")
    fake_openai.configure(latency_ms=int(LATENCY * 1000))
    account, site, client = setup_site(images_per_content=4)
    database = connection.settings_dict["NAME"]

    def connections_to_the_database() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database])
            return cursor.fetchone()[0]

    before, peak = connections_to_the_database(), 0
    run_id = start_run(client, site)
    while run_of(run_id).status not in ("completed", "failed", "cancelled"):
        peak = max(peak, connections_to_the_database())
        time.sleep(0.02)
    run = run_of(run_id)
    assert run.status == "completed", run.error_message
    images = sorted(e["time"] for e in fake_openai.requests if e["path"] == "/v1/images/generations")
    assert max(sum(1 for t in images if start <= t < start + LATENCY * 0.9) for start in images) > 8
    # The run's executor and heartbeat, and its four database threads (16 / 4).
    assert peak - before <= 6
    assert_exactly_once(site, run)


def test_credits_running_out_mid_stage_fail_the_run_with_each_commit_charged_once(fake_openai, start_worker):
    start_worker(AI_CONCURRENCY="8")
    fake_openai.configure(latency_ms=int(LATENCY * 1000))
    account, site, client = setup_site()
    run_id = start_run(client, site)
    wait_for(lambda: run_of(run_id).current_stage == 5, what="stage 5")
    # Another spend of the account leaves 5 credits: two image-prompt calls (2 each), not eight.
    left = Account.objects.get(pk=account.pk).credits
    credits_deduct(account=account, amount=left - 5, operation_type="content_generation")
    run = wait_until_ended(run_id)
    assert run.status == "failed" and "ran out of credits" in run.error_message
    prompted = Content.objects.filter(site=site, images__isnull=False).distinct().count()
    assert 0 < prompted < Content.objects.filter(site=site).count()
    assert CreditTransaction.objects.filter(automation_run_id=run.run_id, stage=5).count() == prompted
    assert Account.objects.get(pk=account.pk).credits == 5 - 2 * prompted


def test_a_worker_whose_runs_could_exhaust_the_database_connections_says_so_at_start(start_worker):
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        allowed = int(cursor.fetchone()[0])
    # Six connections a run at AI_CONCURRENCY=16: enough threads to pass the server's limit.
    crowded = start_worker(concurrency=allowed // 6 + 1, AI_CONCURRENCY="16")
    assert "Database connections may run out" in crowded.output()
    assert f"allows {allowed} in all" in crowded.output()
    assert "Database connections may run out" not in start_worker(concurrency=2).output()
