"""Claiming a run, executing it, and leaving it claimable when the executor ends: `execute_run`."""

import logging

from django.db.models import F
from django.utils import timezone

from automation.engine.executor import RunExecutor
from automation.engine.heartbeat import Heartbeat, hold_site_lock
from automation.engine.sizing import run_pipeline
from automation.locks import lock_release_if_ended
from automation.models import AutomationRun, RunStatus
from igny8.capabilities import capabilities, in_caller_transaction

logger = logging.getLogger(__name__)


def executor_claim(*, run_pk: int) -> int | None:
    """Claim a running run whose heartbeat is absent or stale; returns the new fencing token."""
    now = timezone.now()
    claimed = (
        AutomationRun.objects.without_live_executor(now=now)
        .filter(pk=run_pk)
        .update(fencing_token=F("fencing_token") + 1, heartbeat_at=now)
    )
    if not claimed:
        return None
    return AutomationRun.objects.values_list("fencing_token", flat=True).get(pk=run_pk)


def execute_run(*, run_pk: int) -> str:
    """Claim and execute a run; returns how the executor ended. A second executor exits at once."""
    token = executor_claim(run_pk=run_pk)
    if token is None:
        logger.info("run %s: not claimed (another executor is alive, or it is not running)", run_pk)
        # Delivered again after its executor died: if that was between ending the run and releasing
        # the site lock, the lock is released here.
        ended = AutomationRun.objects.filter(pk=run_pk).values("site_id", "run_id").first()
        if ended:
            lock_release_if_ended(**ended)
        return "not_claimed"
    run = AutomationRun.objects.select_related("site__account").get(pk=run_pk)
    hold_site_lock(run)
    # In-process (eager, or inside a caller's transaction) no other executor can take the run over,
    # and a heartbeat thread could not see the caller's uncommitted run.
    in_process = capabilities().tasks_in_process or in_caller_transaction()
    heartbeat = None if in_process else Heartbeat(run, token)
    if heartbeat:
        heartbeat.start()
    pipeline = run_pipeline()
    try:
        return RunExecutor(run, token, heartbeat=heartbeat, pipeline=pipeline).execute()
    finally:
        pipeline.close()
        if heartbeat:
            heartbeat.stop()
        # Whatever ended this executor, a run it still owns that is no longer running is claimable.
        AutomationRun.objects.filter(pk=run_pk, fencing_token=token).exclude(status=RunStatus.RUNNING).update(
            heartbeat_at=None
        )
