"""`site.idle`: a run that has made no progress for SITE_IDLE_MINUTES, or an enabled schedule that
has not produced a run when it was due. Checked by a beat task; each case fires once."""

import datetime

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from automation.models import AutomationConfig, AutomationRun, Frequency, RunStatus
from events.services import event_emit

# How long after its period an enabled schedule without a run counts as missed (the 23-hour rule
# and the hourly beat leave some slack).
PERIODS = {
    Frequency.DAILY: datetime.timedelta(days=1),
    Frequency.WEEKLY: datetime.timedelta(days=7),
    Frequency.MONTHLY: datetime.timedelta(days=31),
}
SLACK = datetime.timedelta(hours=2)


def stalled_runs(*, now: datetime.datetime) -> list[AutomationRun]:
    """Running runs whose last log line (or start) is older than SITE_IDLE_MINUTES."""
    quiet_since = now - datetime.timedelta(minutes=settings.SITE_IDLE_MINUTES)
    return list(
        AutomationRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=quiet_since)
        .annotate(last_line=Max("log_entries__created_at"))
        .filter(Q(last_line__isnull=True) | Q(last_line__lt=quiet_since))
    )


def missed_schedules(*, now: datetime.datetime) -> list[AutomationConfig]:
    """Enabled configs whose last scheduled start is older than their period (plus slack)."""
    missed = Q()
    for frequency, period in PERIODS.items():
        due_before = now - period - SLACK
        missed |= Q(frequency=frequency) & (
            Q(last_run_at__lt=due_before) | Q(last_run_at__isnull=True, created_at__lt=due_before)
        )
    return list(AutomationConfig.objects.filter(is_enabled=True).filter(missed))


def watch_idle_sites(*, now: datetime.datetime | None = None) -> int:
    """Emit `site.idle` for each stalled run (once per run) and missed schedule (once per day)."""
    now = now or timezone.now()
    emitted = 0
    for run in stalled_runs(now=now):
        data = {"reason": "no_progress", "run_id": run.run_id, "minutes": settings.SITE_IDLE_MINUTES}
        emitted += _emit(run.account_id, run.site_id, data, f"site.idle:no_progress:{run.run_id}")
    for config in missed_schedules(now=now):
        last = config.last_run_at.isoformat() if config.last_run_at else None
        data = {"reason": "schedule_missed", "frequency": config.frequency, "last_run_at": last}
        emitted += _emit(
            config.account_id, config.site_id, data, f"site.idle:missed:{config.site_id}:{now:%Y-%m-%d}"
        )
    return emitted


def _emit(account_id: int, site_id: int, data: dict, key: str) -> int:
    event = event_emit(account_id=account_id, site_id=site_id, type="site.idle", data=data, dedupe_key=key)
    return int(event is not None)
