"""Retention prunes old logs in batches and never the ledger; `site.idle` fires once per case."""

import datetime

import pytest
from django.utils import timezone

from ai.models import AITaskLog
from automation.engine.claim import execute_run
from automation.idle import watch_idle_sites
from automation.logger import run_log_dir
from automation.models import AutomationConfig, AutomationLogEntry, AutomationRun
from automation.retention import prune_old_logs
from automation.services.config import config_get_or_create, config_update
from automation.services.control import run_cancel
from automation.services.runs import start_automation
from billing.models import CreditTransaction
from events.models import Event
from tests.factories import SMALL_RUN_KEYWORDS, make_keywords

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline")]
DAY = datetime.timedelta(days=1)


def finished_run(site) -> AutomationRun:
    config = config_get_or_create(site=site)
    config_update(config=config, fields={"within_stage_delay": 0, "between_stage_delay": 0})
    make_keywords(site=site, texts=[f"{text} {AutomationRun.objects.count()}" for text in SMALL_RUN_KEYWORDS])
    run = start_automation(site=site)
    execute_run(run_pk=run.pk)
    run.refresh_from_db()
    return run


def age(run: AutomationRun, days: int, *, status: str | None = None) -> None:
    then = timezone.now() - days * DAY
    AutomationRun.objects.filter(pk=run.pk).update(
        completed_at=then, **({"status": status} if status else {})
    )
    AITaskLog.objects.filter(automation_run_id=run.run_id).update(created_at=then)
    CreditTransaction.objects.filter(automation_run_id=run.run_id).update(created_at=then)


def test_old_logs_are_pruned_in_batches_failed_runs_kept_longer_and_the_ledger_never(tenant):
    old, failed_old, recent = (finished_run(tenant.site) for _ in range(3))
    age(old, 91)
    age(failed_old, 91, status="failed")
    ledger_before = CreditTransaction.objects.count()
    assert run_log_dir(old).exists()
    counts = prune_old_logs(batch=2)
    assert counts["run_log_lines"] > 2 and counts["ai_task_logs"] > 0
    assert not AutomationLogEntry.objects.filter(run=old).exists()
    assert not AITaskLog.objects.filter(automation_run_id=old.run_id, status="success").exists()
    assert not run_log_dir(old).exists()
    assert AutomationLogEntry.objects.filter(run=failed_old).exists()  # 91 < 180 days
    assert AutomationLogEntry.objects.filter(run=recent).exists()
    assert CreditTransaction.objects.count() == ledger_before
    age(failed_old, 181)
    prune_old_logs()
    assert not AutomationLogEntry.objects.filter(run=failed_old).exists()
    assert CreditTransaction.objects.count() == ledger_before


def test_a_stalled_run_and_a_missed_schedule_each_emit_site_idle_once(tenant, settings):
    make_keywords(site=tenant.site, texts=SMALL_RUN_KEYWORDS)
    run = start_automation(site=tenant.site)
    later = timezone.now() + datetime.timedelta(minutes=settings.SITE_IDLE_MINUTES + 1)
    assert watch_idle_sites(now=timezone.now()) == 0
    assert watch_idle_sites(now=later) == 1
    assert watch_idle_sites(now=later) == 0
    assert Event.objects.get(type="site.idle").data == {
        "reason": "no_progress",
        "run_id": run.run_id,
        "minutes": settings.SITE_IDLE_MINUTES,
    }
    run_cancel(run=run)
    AutomationConfig.objects.filter(site=tenant.site).update(
        is_enabled=True, frequency="daily", last_run_at=timezone.now() - 2 * DAY
    )
    assert watch_idle_sites() == 1 and watch_idle_sites() == 0
    assert Event.objects.filter(type="site.idle", data__reason="schedule_missed").count() == 1
