"""Finds running runs whose executor went silent and enqueues them again."""

import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from automation.logger import AutomationLogger
from automation.models import AutomationRun, RunStatus

logger = logging.getLogger(__name__)


def stale_runs():
    stale_before = timezone.now() - timezone.timedelta(seconds=settings.AUTOMATION_STALE_SECONDS)
    silent = (
        Q(heartbeat_at__lt=stale_before)
        | Q(heartbeat_at__isnull=True, started_at__lt=stale_before, resumed_at__isnull=True)
        | Q(heartbeat_at__isnull=True, resumed_at__lt=stale_before)
    )
    return AutomationRun.objects.filter(status=RunStatus.RUNNING).filter(silent)


def recover_stale_runs() -> list[str]:
    """Re-enqueue every stale run; the executor's claim keeps this safe if the old one wakes up."""
    from automation.tasks import resume_automation_task

    recovered = []
    for run in stale_runs():
        AutomationLogger(run).warning(
            "No heartbeat from the executor; handing the run to a new worker.", stage=run.current_stage
        )
        resume_automation_task.apply_async(args=[run.pk])
        recovered.append(run.run_id)
    return recovered
