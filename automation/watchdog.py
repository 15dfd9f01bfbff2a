"""Finds running runs whose executor went silent and enqueues them again."""

import logging

from django.utils import timezone

from automation.dispatch import RESUME_TASK, enqueue
from automation.logger import AutomationLogger
from automation.models import AutomationRun

logger = logging.getLogger(__name__)


def recover_stale_runs() -> list[str]:
    """Re-enqueue every stale run; the executor's claim keeps this safe if the old one wakes up."""
    recovered = []
    for run in AutomationRun.objects.stale(now=timezone.now()):
        AutomationLogger(run).warning(
            "No heartbeat from the executor; handing the run to a new worker.", stage=run.current_stage
        )
        enqueue(RESUME_TASK, run_pk=run.pk)
        recovered.append(run.run_id)
    return recovered
