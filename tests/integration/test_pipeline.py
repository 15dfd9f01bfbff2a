"""Runs through the API, executed by a real Celery worker, against the local OpenAI-compatible server."""

import json
import re

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from ai.functions import FUNCTIONS
from ai.models import AITaskLog
from automation.keys import automation_lock_key
from automation.logger import run_log_dir
from automation.models import AutomationLogEntry, AutomationRun
from automation.task_names import CONTINUE_TASK
from automation.watchdog import recover_stale_runs
from billing.models import CreditTransaction
from igny8.celery import app as celery_app
from planner.models import Keyword
from tests.conftest import client_for
from tests.factories import make_account
from tests.integration.pipeline import (
    BASE,
    assert_exactly_once,
    run_of,
    setup_site,
    start_run,
    wait_until_ended,
)
from tests.triggers import before_insert_trigger
from tests.waiting import wait_for
from writer.models import Content, Image, Task

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
RESULT_KEYS = {
    1: {"keywords_processed", "clusters_created", "batches_run"},
    2: {"clusters_processed", "ideas_created", "ideas_held_back"},
    3: {"ideas_processed", "tasks_created"},
    4: {"tasks_processed", "content_created", "total_words"},
    5: {"content_processed", "prompts_created"},
    6: {"images_processed", "images_generated", "images_failed"},
    7: {"ready_for_review"},
}


def test_a_full_run_from_keywords_to_review(fake_openai, worker):
    account, site, client = setup_site()
    response = client.post(f"{BASE}/run_now/?site_id={site.pk}")
    assert response.status_code == 201, response.json()
    run = wait_until_ended(response.json()["data"]["run_id"])
    assert run.status == "completed", run.error_message

    assert run.initial_snapshot == {
        "stage_1_initial": 10,
        "stage_2_initial": 0,
        "stage_3_initial": 0,
        "stage_4_initial": 0,
        "stage_5_initial": 0,
        "stage_6_initial": 0,
        "stage_7_initial": 0,
        "total_initial_items": 10,
    }
    for number, keys in RESULT_KEYS.items():
        result = run.stage_result(number)
        assert keys | {"credits_used", "time_elapsed"} <= set(result), (number, result)
        assert not result.get("skipped")
    contents = Content.objects.filter(site=site)
    assert run.stage_1_result["keywords_processed"] == 10
    assert (
        run.stage_3_result["tasks_created"] == run.stage_4_result["content_created"] == contents.count() > 0
    )
    assert run.stage_4_result["total_words"] == sum(contents.values_list("word_count", flat=True))
    assert (
        run.stage_6_result["images_generated"] == Image.objects.filter(site=site, status="generated").count()
    )
    assert run.stage_6_result["images_generated"] == 3 * contents.count()
    assert set(contents.values_list("status", flat=True)) == {"review"}
    assert run.stage_7_result["ready_for_review"] == contents.count()

    ledger = CreditTransaction.objects.filter(automation_run_id=run.run_id)
    for number in range(1, 8):
        assert run.stage_result(number)["credits_used"] == -sum(
            ledger.filter(stage=number).values_list("amount", flat=True)
        )
    assert run.total_credits_used == -sum(ledger.values_list("amount", flat=True))
    calls = AITaskLog.objects.filter(automation_run_id=run.run_id, status="success")
    # Every charged call has its ledger row; embeddings (keyword order, the guard, links) are logged, free.
    assert calls.filter(function__in=list(FUNCTIONS)).count() == ledger.count()
    assert calls.get(function="embed_keywords").credits_used == 0
    assert cache.get(automation_lock_key(site.pk)) is None
    assert_exactly_once(site, run)

    events = set(AutomationLogEntry.objects.filter(run=run).values_list("event", flat=True))
    assert {"run_start", "stage_start", "stage_item_processed", "stage_complete", "run_complete"} <= events
    directory = run_log_dir(run)
    assert "Stage 4:" in (directory / "automation_run.log").read_text()
    assert (directory / "stage_6.log").exists()
    trace = [json.loads(line) for line in (directory / "run_trace.jsonl").read_text().splitlines()]
    assert {"stage_start", "stage_item_processed", "stage_complete"} <= {event["event"] for event in trace}
    api_logs = client.get(f"{BASE}/logs/?run_id={run.run_id}&lines=500").json()["data"]
    assert "Run completed." in api_logs["log"]


def test_pause_in_stage_4_then_resume_completes_without_double_charges(fake_openai, worker):
    account, site, client = setup_site()
    fake_openai.configure(latency_ms=300)
    run_id = start_run(client, site)
    # Paused while stage 4's first calls are out: they finish and commit, the rest wait for the resume.
    wait_for(
        lambda: (run := run_of(run_id)).current_stage == 4 and run.current_batch.get("in_flight"),
        what="stage 4's first calls",
    )
    paused = client.post(f"{BASE}/pause/?run_id={run_id}")
    assert paused.status_code == 200
    # The executor has left (it logs so after its last commit and the stage's partial result).
    wait_for(
        lambda: AutomationLogEntry.objects.filter(
            run__run_id=run_id, message__startswith="Executor stopped"
        ).exists(),
        what="the executor's exit",
    )
    run = run_of(run_id)
    assert run.status == "paused" and run.current_stage == 4 and run.heartbeat_at is None
    assert run.stage_4_result["partial"] is True
    made_while_paused = Content.objects.filter(site=site).count()
    assert made_while_paused < Task.objects.filter(site=site).count()

    fake_openai.configure(latency_ms=0)
    assert client.post(f"{BASE}/resume/?run_id={run_id}").status_code == 200
    run = wait_until_ended(run_id)
    assert run.status == "completed", run.error_message
    assert "partial" not in run.stage_4_result
    assert run.stage_4_result["tasks_processed"] == Task.objects.filter(site=site).count()
    assert_exactly_once(site, run)


def cancel_during_stage_4(fake_openai, client, site) -> str:
    """A run cancelled while stage 4's calls are out: their answers' commits come after the cancel."""
    fake_openai.configure(latency_ms=300)
    run_id = start_run(client, site)
    wait_for(
        lambda: (run := run_of(run_id)).current_stage == 4 and run.current_batch.get("in_flight"),
        what="stage 4's first calls",
    )
    assert client.post(f"{BASE}/cancel/?run_id={run_id}").json()["data"]["status"] == "cancelled"
    return run_id


def executor_outcomes(worker) -> list[str]:
    ended = r"automation\.run_automation_task\[[^\]]+\] succeeded in [\d.]+s: '(\w+)'"
    return wait_for(lambda: re.findall(ended, worker.output()), what="the executor's outcome")


def test_cancel_releases_the_lock_and_a_new_run_can_start(fake_openai, worker):
    account, site, client = setup_site()
    run_id = cancel_during_stage_4(fake_openai, client, site)
    assert cache.get(automation_lock_key(site.pk)) is None
    wait_for(lambda: run_of(run_id).heartbeat_at is None, what="the executor to stop")
    assert executor_outcomes(worker) == ["stopped"]
    stopped = AutomationLogEntry.objects.filter(run__run_id=run_id, message__startswith="Executor stopped")
    assert stopped.exists()
    fake_openai.configure(latency_ms=0)
    again = client.post(f"{BASE}/run_now/?site_id={site.pk}")
    assert again.status_code == 201
    assert wait_until_ended(again.json()["data"]["run_id"]).status == "completed"


@pytest.fixture
def content_commits_fail_once_cancelled():
    """An article's insert fails with PostgreSQL's deadlock error once its run is cancelled: what a
    commit in flight meets when it loses a deadlock to the deletion of a site whose run was cancelled."""
    with before_insert_trigger(
        "test_deadlock_once_cancelled",
        table=Content._meta.db_table,
        body=(
            f"IF EXISTS (SELECT 1 FROM {AutomationRun._meta.db_table} "
            "WHERE site_id = NEW.site_id AND status = 'cancelled') THEN "
            "RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END IF; RETURN NEW;"
        ),
    ):
        yield


def test_a_database_error_after_a_cancel_ends_the_executor_as_stopped(
    fake_openai, worker, content_commits_fail_once_cancelled
):
    """The executor hands a run over on a database error only while the run is still its to run."""
    account, site, client = setup_site()
    run_id = cancel_during_stage_4(fake_openai, client, site)
    outcomes = executor_outcomes(worker)
    assert "database error, handing the run" in worker.output()  # the trigger's error was met
    assert outcomes == ["stopped"], worker.output()[-4000:]
    assert run_of(run_id).status == "cancelled" and cache.get(automation_lock_key(site.pk)) is None


def test_ai_server_down_fails_the_run_with_a_message_and_releases_the_lock(fake_openai, worker):
    account, site, client = setup_site()
    fake_openai.configure(error_rate=1.0)
    run_id = start_run(client, site)
    run = wait_until_ended(run_id)
    assert run.status == "failed" and run.completed_at
    assert "Stage 1" in run.error_message
    assert "500" in run.error_message or "429" in run.error_message
    assert cache.get(automation_lock_key(site.pk)) is None
    assert not CreditTransaction.objects.filter(automation_run_id=run_id).exists()
    assert AITaskLog.objects.filter(automation_run_id=run_id, status="failed").exists()


def test_broker_down_answers_503_and_leaves_no_active_run(fake_openai, db, monkeypatch):
    from igny8.celery import app

    account, site, client = setup_site()
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(app.conf, "broker_write_url", "redis://127.0.0.1:1/0")
    response = client.post(f"{BASE}/run_now/?site_id={site.pk}")
    assert response.status_code == 503 and response.json()["code"] == "service_unavailable"
    assert not AutomationRun.objects.filter(site=site, status__in=["running", "paused"]).exists()
    assert cache.get(automation_lock_key(site.pk)) is None


def test_a_killed_worker_is_recovered_without_duplicates_or_double_charges(
    fake_openai, start_worker, settings
):
    settings.AUTOMATION_STALE_SECONDS = 3
    account, site, client = setup_site()
    fake_openai.configure(latency_ms=150)
    first = start_worker()
    run_id = start_run(client, site)
    wait_for(
        lambda: run_of(run_id).current_stage == 4 and Content.objects.filter(site=site).exists(),
        what="stage 4",
    )
    first.kill()
    token = run_of(run_id).fencing_token
    wait_for(lambda: recover_stale_runs() == [run_id], timeout=30, what="the run to go stale")
    fake_openai.configure(latency_ms=0)
    start_worker()
    run = wait_until_ended(run_id)
    assert run.status == "completed", run.error_message
    assert run.fencing_token > token
    assert_exactly_once(site, run)


def test_manual_action_runs_on_the_worker_and_reports_its_result(fake_openai, worker):
    account, site, client = setup_site()
    ids = list(Keyword.objects.filter(site=site).values_list("pk", flat=True))
    queued = client.post(
        f"/api/v1/planner/keywords/auto_cluster/?site_id={site.pk}", {"ids": ids}, format="json"
    )
    assert queued.status_code == 202
    task_id = queued.json()["data"]["task_id"]
    state = wait_for(
        lambda: (
            (body := client.get(f"/api/v1/ai/tasks/{task_id}/").json()["data"])["state"]
            in ("SUCCESS", "FAILURE")
            and body
        ),
        what="the task",
    )
    assert state["state"] == "SUCCESS", state
    assert state["result"]["processed"] == 10 and state["result"]["credits_used"] == 2
    assert Keyword.objects.filter(site=site, status="mapped").count() == 10
    other = client_for(make_account().owner)
    assert other.get(f"/api/v1/ai/tasks/{task_id}/").status_code == 404
    logs = client.get(f"/api/v1/ai/logs/?site_id={site.pk}").json()
    assert logs["count"] == 1 and logs["results"][0]["celery_task_id"] == task_id


def test_continue_automation_task_enqueued_by_name_runs_a_stranded_run(fake_openai, start_worker):
    account, site, client = setup_site()
    run_id = start_run(client, site)
    # The run's own message is lost (a broker without persistence, restarted before any worker took it).
    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("automation") == 1
    celery_app.send_task(CONTINUE_TASK, args=[run_of(run_id).pk])
    start_worker()
    run = wait_until_ended(run_id)
    assert run.status == "completed", run.error_message
    assert_exactly_once(site, run)
