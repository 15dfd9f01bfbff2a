"""Automation services and the executor, run in-process (the worker path is in tests/integration)."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ai.models import AITaskLog
from automation.engine.claim import execute_run, executor_claim
from automation.errors import RunActive
from automation.keys import automation_lock_key
from automation.models import AutomationConfig, AutomationRun
from automation.schedule import is_due, next_run_time
from automation.services.config import config_get_or_create, config_update
from automation.services.control import run_cancel, run_pause, run_resume
from automation.services.runs import initial_snapshot, start_automation
from automation.services.scheduler import check_scheduled_automations
from automation.stages import STAGES, get_stage
from billing.errors import InsufficientCredits
from billing.models import CreditTransaction
from igny8.errors import InvalidTransition
from planner.models import Keyword
from tenancy.services import site_create
from tests.factories import make_account, make_cluster, make_content, make_keywords
from tests.waiting import wait_for
from writer.models import Content, Image, Task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline")]


def test_a_run_goes_from_keywords_to_review_in_process(pipeline_site):
    run = start_automation(site=pipeline_site)
    assert cache.get(automation_lock_key(pipeline_site.pk)) == run.run_id
    assert run.initial_snapshot["stage_1_initial"] == 10
    assert execute_run(run_pk=run.pk) == "completed"
    run.refresh_from_db()
    assert run.status == "completed" and run.completed_at and run.current_stage == 7
    assert cache.get(automation_lock_key(pipeline_site.pk)) is None
    contents = Content.objects.filter(site=pipeline_site)
    assert contents.count() == Task.objects.filter(site=pipeline_site).count() > 0
    assert set(contents.values_list("status", flat=True)) == {"review"}
    assert run.stage_7_result["ready_for_review"] == contents.count()
    assert run.stage_4_result["total_words"] == sum(contents.values_list("word_count", flat=True))
    ledger = CreditTransaction.objects.filter(automation_run_id=run.run_id)
    for stage in STAGES:
        tagged = -sum(ledger.filter(stage=stage.number).values_list("amount", flat=True))
        assert run.stage_result(stage.number)["credits_used"] == tagged
    assert run.total_credits_used == -sum(ledger.values_list("amount", flat=True)) > 0


def test_a_second_executor_of_the_same_run_exits_at_once(pipeline_site):
    run = start_automation(site=pipeline_site)
    assert executor_claim(run_pk=run.pk) == 1
    assert execute_run(run_pk=run.pk) == "not_claimed"
    assert not Content.objects.exists()


def test_a_stale_executor_is_fenced_out(pipeline_site, settings):
    run = start_automation(site=pipeline_site)
    executor_claim(run_pk=run.pk)
    AutomationRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
    assert execute_run(run_pk=run.pk) == "completed"
    assert AutomationRun.objects.get(pk=run.pk).fencing_token == 2


def test_run_now_is_refused_while_a_run_is_paused_and_the_lock_is_free(pipeline_site):
    run = start_automation(site=pipeline_site)
    run_pause(run=run)
    assert cache.get(automation_lock_key(pipeline_site.pk)) is None
    with pytest.raises(RunActive):
        start_automation(site=pipeline_site)
    assert cache.get(automation_lock_key(pipeline_site.pk)) is None


def test_pause_resume_cancel_transitions(pipeline_site):
    run = start_automation(site=pipeline_site)
    with pytest.raises(InvalidTransition):
        run_resume(run=run)
    run = run_pause(run=run)
    assert run.status == "paused" and run.paused_at
    with pytest.raises(InvalidTransition):
        run_pause(run=run)
    run = run_resume(run=run)
    assert run.status == "running" and run.resumed_at
    assert cache.get(automation_lock_key(pipeline_site.pk)) == run.run_id
    run = run_cancel(run=run)
    assert run.status == "cancelled" and run.cancelled_at and run.completed_at
    assert cache.get(automation_lock_key(pipeline_site.pk)) is None
    with pytest.raises(InvalidTransition):
        run_cancel(run=run)
    assert execute_run(run_pk=run.pk) == "not_claimed"


def test_a_cancelled_run_stops_and_a_new_one_can_start(pipeline_site):
    run = start_automation(site=pipeline_site)
    run_cancel(run=run)
    second = start_automation(site=pipeline_site)
    assert second.run_id != run.run_id and second.status == "running"


def test_insufficient_credits_gives_the_estimate_and_releases_the_lock(db):
    tenant = make_account(credits=3)
    site = tenant.site
    make_keywords(site=site, texts=[f"solar keyword {n}" for n in range(10)])
    with pytest.raises(InsufficientCredits) as raised:
        start_automation(site=site)
    assert raised.value.available == 3 and raised.value.required > 3
    assert "estimated" in raised.value.message
    assert cache.get(automation_lock_key(site.pk)) is None
    assert not AutomationRun.objects.exists()


def test_stage_1_with_fewer_than_5_keywords_is_skipped(tenant):
    site = tenant.site
    make_keywords(site=site, texts=["one", "two", "three"])
    config_update(config=config_get_or_create(site=site), fields={"between_stage_delay": 0})
    run = start_automation(site=site)
    execute_run(run_pk=run.pk)
    run.refresh_from_db()
    assert run.stage_1_result["skipped"] is True and "at least 5" in run.stage_1_result["reason"]
    assert run.status == "completed"


def test_per_run_caps_limit_a_stage(pipeline_site):
    config = AutomationConfig.objects.get(site=pipeline_site)
    config_update(config=config, fields={"max_tasks_per_run": 2})
    run = start_automation(site=pipeline_site)
    execute_run(run_pk=run.pk)
    run.refresh_from_db()
    assert run.stage_4_result["tasks_processed"] == 2
    assert run.stage_4_result["partial_reason"] == "max_tasks_per_run reached"
    assert Content.objects.filter(site=pipeline_site).count() == 2


def test_one_pending_query_per_stage_feeds_overview_estimate_and_snapshot(pipeline_site):
    from automation.estimate import estimate_run
    from automation.selectors import pipeline_overview

    overview = pipeline_overview(site=pipeline_site)
    estimate = estimate_run(site=pipeline_site, config=AutomationConfig.objects.get(site=pipeline_site))
    snapshot = initial_snapshot(site=pipeline_site)
    for stage in STAGES:
        pending = stage.pending(pipeline_site).count()
        assert overview["stages"][stage.number - 1]["pending"] == pending
        assert estimate["stages"][stage.number - 1]["pending"] == pending
        assert snapshot[f"stage_{stage.number}_initial"] == pending


def test_disabled_keywords_stay_out_of_stage_1(pipeline_site):
    from planner.models import Keyword

    Keyword.objects.filter(site=pipeline_site, keyword__startswith="best").update(disabled=True)
    assert get_stage(1).pending(pipeline_site).count() == 8


def test_images_per_content_is_taken_from_the_config(pipeline_site):
    config_update(config=AutomationConfig.objects.get(site=pipeline_site), fields={"images_per_content": 2})
    run = start_automation(site=pipeline_site)
    execute_run(run_pk=run.pk)
    content = Content.objects.filter(site=pipeline_site).first()
    assert Image.objects.filter(content=content).count() == 2


@pytest.mark.parametrize(
    ("frequency", "now", "due"),
    [
        ("daily", datetime.datetime(2026, 12, 2, 14, 5), True),
        ("daily", datetime.datetime(2026, 12, 2, 15, 5), False),
        ("weekly", datetime.datetime(2026, 11, 30, 14, 5), True),  # a Monday
        ("weekly", datetime.datetime(2026, 12, 1, 14, 5), False),
        ("monthly", datetime.datetime(2026, 12, 1, 14, 5), True),
        ("monthly", datetime.datetime(2026, 12, 2, 14, 5), False),
    ],
)
def test_scheduler_due_rules(frequency, now, due, tenant):
    config = config_get_or_create(site=tenant.site)
    config.frequency, config.scheduled_time = frequency, datetime.time(14, 0)
    assert is_due(config, timezone.make_aware(now, datetime.timezone.utc)) is due


def test_next_run_time_follows_the_frequency(tenant):
    config = config_get_or_create(site=tenant.site)
    config.scheduled_time = datetime.time(14, 0)
    now = timezone.make_aware(datetime.datetime(2026, 12, 2, 14, 5), datetime.timezone.utc)  # a Wednesday
    config.frequency = "daily"
    assert next_run_time(config, now).isoformat().startswith("2026-12-03T14:00")
    config.frequency = "weekly"
    assert next_run_time(config, now).isoformat().startswith("2026-12-07T14:00")
    config.frequency = "monthly"
    assert next_run_time(config, now).isoformat().startswith("2027-01-01T14:00")


def scheduled(site, **fields):
    config = config_get_or_create(site=site)
    return config_update(
        config=config,
        fields={"is_enabled": True, "frequency": "daily", "scheduled_time": datetime.time(14, 0), **fields},
    )


NOW = timezone.make_aware(datetime.datetime(2026, 12, 2, 14, 5), datetime.timezone.utc)


def test_scheduler_starts_a_due_site_and_records_the_times(pipeline_site):
    scheduled(pipeline_site)
    outcome = check_scheduled_automations(now=NOW)
    assert len(outcome["started"]) == 1
    assert re.fullmatch(r"run_\d{8}_\d{6}_scheduled_[0-9a-f]{6}", outcome["started"][0])
    config = AutomationConfig.objects.get(site=pipeline_site)
    assert config.last_run_at == NOW
    assert config.next_run_at.isoformat().startswith("2026-12-03T14:00")
    assert check_scheduled_automations(now=NOW)["started"] == []  # two beats: one run


@pytest.mark.parametrize("active_status", ["running", "paused"])
def test_scheduler_skips_a_site_with_an_active_run(active_status, pipeline_site):
    run = start_automation(site=pipeline_site)
    AutomationRun.objects.filter(pk=run.pk).update(status=active_status)
    cache.clear()
    scheduled(pipeline_site)
    outcome = check_scheduled_automations(now=NOW)
    assert outcome["started"] == []
    assert outcome["skipped"] == [{"site_id": pipeline_site.pk, "reason": "a run is running or paused"}]
    assert AutomationRun.objects.count() == 1


def test_scheduler_skips_a_site_that_ran_in_the_last_23_hours(pipeline_site):
    scheduled(pipeline_site, last_run_at=NOW - datetime.timedelta(hours=22))
    AutomationConfig.objects.filter(site=pipeline_site).update(last_run_at=NOW - datetime.timedelta(hours=22))
    assert check_scheduled_automations(now=NOW)["started"] == []
    AutomationConfig.objects.filter(site=pipeline_site).update(last_run_at=NOW - datetime.timedelta(hours=24))
    assert len(check_scheduled_automations(now=NOW)["started"]) == 1


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_working_run_fresh_until_fenced_out(pipeline_site, settings):
    from automation.engine.heartbeat import Heartbeat

    settings.AUTOMATION_HEARTBEAT_SECONDS = 0.05
    run = start_automation(site=pipeline_site)
    token = executor_claim(run_pk=run.pk)
    claimed_at = AutomationRun.objects.get(pk=run.pk).heartbeat_at
    heartbeat = Heartbeat(run, token)
    heartbeat.start()
    try:
        wait_for(
            lambda: AutomationRun.objects.get(pk=run.pk).heartbeat_at > claimed_at,
            timeout=5,
            what="a heartbeat",
        )
        AutomationRun.objects.filter(pk=run.pk).update(fencing_token=token + 1)
        assert heartbeat.fenced.wait(timeout=5)
    finally:
        heartbeat.stop()


def test_a_run_never_spends_more_than_its_credit_cap(pipeline_site):
    config = config_get_or_create(site=pipeline_site)
    config_update(config=config, fields={"max_credits_per_run": 20})
    run = start_automation(site=pipeline_site)
    assert execute_run(run_pk=run.pk) == "completed"
    run.refresh_from_db()
    ledger = CreditTransaction.objects.filter(automation_run_id=run.run_id)
    charged = -sum(ledger.values_list("amount", flat=True))
    assert charged == run.total_credits_used
    assert 0 < charged <= 20
    assert run.stage_4_result["partial_reason"] == "max_credits_per_run reached"


def test_stage_1_sends_alike_keywords_in_the_same_call(fake_openai, tenant):
    running = [
        "best running shoes",
        "trail running shoes",
        "running shoes for flat feet",
        "running shoe sizes",
    ]
    running.append("running shoes for women")
    coffee = ["cold brew coffee ratio", "best coffee grinder", "coffee grinder burr", "coffee beans storage"]
    coffee.append("coffee maker reviews")
    site = tenant.site
    make_keywords(site=site, texts=[text for pair in zip(running, coffee, strict=True) for text in pair])
    config = config_get_or_create(site=site)
    config_update(
        config=config, fields={"stage_1_batch_size": 5, "within_stage_delay": 0, "between_stage_delay": 0}
    )
    run = start_automation(site=site)
    assert execute_run(run_pk=run.pk) == "completed", AutomationRun.objects.get(pk=run.pk).error_message
    calls = AITaskLog.objects.filter(automation_run_id=run.run_id, function="auto_cluster")
    batches = [
        set(Keyword.objects.filter(pk__in=call.items).values_list("keyword", flat=True)) for call in calls
    ]
    assert sorted(map(sorted, batches)) == sorted([sorted(running), sorted(coffee)])
    embedded = AITaskLog.objects.get(automation_run_id=run.run_id, function="embed_keywords")
    assert embedded.status == "success" and embedded.tokens_in > 0 and embedded.credits_used == 0


@pytest.mark.parametrize("time_zone", ["UTC", "Europe/Berlin"])
def test_the_scheduler_records_next_run_at_by_each_frequency_and_minute(time_zone, tenant, settings):
    settings.TIME_ZONE = time_zone
    # 14:05 local time on Monday 1 June 2026: daily, weekly and monthly configs are all due.
    now = timezone.make_aware(datetime.datetime(2026, 6, 1, 14, 5))
    sites = [tenant.site] + [site_create(account=tenant.account, name=f"Site {n}") for n in range(2)]
    configs = [
        scheduled(site, frequency=frequency, scheduled_time=datetime.time(14, minute))
        for site, frequency, minute in zip(sites, ["daily", "weekly", "monthly"], [0, 30, 45], strict=True)
    ]
    AutomationConfig.objects.update(last_run_at=now - datetime.timedelta(hours=1))
    outcome = check_scheduled_automations(now=now)
    assert outcome["started"] == [] and len(outcome["skipped"]) == 3
    for config in configs:
        stored = AutomationConfig.objects.get(pk=config.pk).next_run_at
        assert stored == next_run_time(config, now)
    assert [timezone.localtime(AutomationConfig.objects.get(pk=c.pk).next_run_at) for c in configs] == [
        timezone.make_aware(datetime.datetime(2026, 6, 2, 14, 0)),
        timezone.make_aware(datetime.datetime(2026, 6, 8, 14, 30)),
        timezone.make_aware(datetime.datetime(2026, 7, 1, 14, 45)),
    ]


def test_the_overview_counts_each_stages_pending_rows_in_its_status_pass(pipeline_site):
    from automation.selectors import pipeline_overview
    from planner.models import Keyword

    Keyword.objects.filter(site=pipeline_site, keyword__contains="coffee").update(disabled=True)
    make_cluster(site=pipeline_site, name="Trail gear", keywords=["trail gear list", "trail shoes"])
    make_content(site=pipeline_site, title="A draft without images")
    overview = pipeline_overview(site=pipeline_site)["stages"]
    for stage in STAGES:
        row = overview[stage.number - 1]
        assert row["pending"] == stage.pending(pipeline_site).count(), stage.name
        assert row["total"] == stage.model.objects.filter(site=pipeline_site).count(), stage.name
    assert overview[0]["pending"] == 6 and overview[0]["by_status"] == {"new": 10, "mapped": 2}


@pytest.mark.django_db(transaction=True)  # batches in flight commit from the run's own database threads
def test_a_run_reads_its_control_state_per_batch_started_and_sums_the_ledger_per_stage_edge(
    fake_openai, pipeline_site, settings
):
    settings.AI_CONCURRENCY = 4
    settings.AUTOMATION_PROGRESS_SECONDS = 0  # a progress write after every batch
    fake_openai.configure(latency_ms=30, fixed_image=True)  # several batches in flight at each stage's end
    run = start_automation(site=pipeline_site)
    # The executor's own connection (this thread); the batches commit on the run's database threads.
    with CaptureQueriesContext(connection) as queries:
        assert execute_run(run_pk=run.pk) == "completed", AutomationRun.objects.get(pk=run.pk).error_message
    control_reads = [q for q in queries if re.match(r'SELECT "?status"?, "?fencing_token"? FROM', q["sql"])]
    ledger_sums = [q for q in queries if "SUM(" in q["sql"] and CreditTransaction._meta.db_table in q["sql"]]
    batches = run.log_entries.filter(event="stage_item_processed").count()
    assert batches > 10
    # One read as the executor begins, then one as each batch is about to start; none while the
    # batches in flight at a stage's end settle.
    assert len(control_reads) == batches + 1
    # The ledger is summed as a stage starts and as it ends, not on each progress write.
    edges = run.log_entries.filter(event__in=["stage_start", "stage_complete"]).count()
    assert len(ledger_sums) == edges
