"""Control of a run: pause, resume and cancel, and ending a site's runs when the site is deleted."""

import logging
import shutil

from django.db import transaction
from django.utils import timezone

from automation.dispatch import QUEUE_ERRORS, enqueue, queue_check
from automation.errors import RunActive
from automation.locks import lock_release, lock_take
from automation.logger import AutomationLogger, site_log_dir
from automation.models import ACTIVE_STATUSES, AutomationRun, RunStatus
from automation.notifications import run_paused_event
from automation.task_names import RESUME_TASK
from igny8.errors import InvalidTransition, ServiceUnavailable
from tenancy.models import Site

logger = logging.getLogger(__name__)
SITE_DELETED = "The site was deleted while the run was active."


def run_pause(*, run: AutomationRun, reason: str = "user") -> AutomationRun:
    """running → paused, with `run.paused` (and why: `user`, `budget`, `rate_limited`) in the same
    transaction. The executor stops before its next batch and keeps what it did; resume clears the
    reason. Raises InvalidTransition unless running."""
    with transaction.atomic():
        if not AutomationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.PAUSED, paused_at=timezone.now(), pause_reason=reason
        ):
            run.refresh_from_db()
            raise InvalidTransition(f"Only a running run can be paused; this one is {run.status}.")
        run.refresh_from_db()
        run_paused_event(run=run, reason=reason)
    lock_release(site_id=run.site_id, run_id=run.run_id)
    run.refresh_from_db()
    paused = "Run paused." if reason == "user" else f"Run paused ({reason})."
    AutomationLogger(run).info(paused, stage=run.current_stage, event="run_paused", reason=reason)
    return run


def run_resume(*, run: AutomationRun) -> AutomationRun:
    """paused → running: re-takes the site lock and continues from `current_stage`.

    The status change comes first and picks one winner among concurrent resumes; only the winner
    touches the lock, so a losing request can never release the lock the winner took.
    """
    if run.status != RunStatus.PAUSED:
        raise InvalidTransition(f"Only a paused run can be resumed; this one is {run.status}.")
    queue_check()
    if not AutomationRun.objects.filter(pk=run.pk, status=RunStatus.PAUSED).update(
        status=RunStatus.RUNNING, resumed_at=timezone.now(), pause_reason=""
    ):
        run.refresh_from_db()
        raise InvalidTransition(f"Only a paused run can be resumed; this one is {run.status}.")
    if not lock_take(site_id=run.site_id, run_id=run.run_id):
        AutomationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(status=RunStatus.PAUSED)
        raise RunActive("The site lock is held by another start; try again in a moment.")
    run.refresh_from_db()
    if run.status != RunStatus.RUNNING:
        # A pause or cancel landed between the status change and the lock: it released nothing, so we do.
        lock_release(site_id=run.site_id, run_id=run.run_id)
        raise InvalidTransition(f"The run was {run.status} while it resumed.")
    AutomationLogger(run).info("Run resumed.", stage=run.current_stage, event="run_resumed")
    try:
        enqueue(RESUME_TASK, run_pk=run.pk)
    except QUEUE_ERRORS as error:
        AutomationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(status=RunStatus.PAUSED)
        lock_release(site_id=run.site_id, run_id=run.run_id)
        logger.warning("could not enqueue the resume of run %s: %s", run.run_id, error)
        AutomationLogger(run).error(
            "Resume could not be enqueued (task queue unavailable); the run stays paused."
        )
        raise ServiceUnavailable("The task queue is unavailable; the run stays paused.") from None
    run.refresh_from_db()
    return run


def run_cancel(*, run: AutomationRun) -> AutomationRun:
    """running/paused → cancelled, releasing the lock at once; work in flight is discarded."""
    now = timezone.now()
    if not AutomationRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
        status=RunStatus.CANCELLED, cancelled_at=now, completed_at=now
    ):
        run.refresh_from_db()
        raise InvalidTransition(f"Only a running or paused run can be cancelled; this one is {run.status}.")
    lock_release(site_id=run.site_id, run_id=run.run_id)
    run.refresh_from_db()
    AutomationLogger(run).info("Run cancelled.", stage=run.current_stage, event="run_cancelled")
    return run


def runs_cancel_for_site(*, site: Site) -> list[str]:
    """Cancel the site's running or paused run, with the reason, and release its lock; returns their ids.

    Committed at once: the executor stops at its next check, and each item it commits is refused
    (its guard needs an active run), so the site's rows stop changing before the site is deleted.
    """
    now = timezone.now()
    cancelled = []
    for run in AutomationRun.objects.filter(site=site, status__in=ACTIVE_STATUSES):
        if AutomationRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
            status=RunStatus.CANCELLED, cancelled_at=now, completed_at=now, error_message=SITE_DELETED
        ):
            lock_release(site_id=site.pk, run_id=run.run_id)
            AutomationLogger(run).info(
                f"Run cancelled: {SITE_DELETED}", stage=run.current_stage, event="run_cancelled"
            )
            cancelled.append(run.run_id)
    return cancelled


def runs_end_for_site_deletion(*, site: Site) -> None:
    """Inside a site's deletion: cancel a run still active, and once the deletion commits release the
    lock and remove the site's run log files (the run rows go with the site)."""
    cancelled = runs_cancel_for_site(site=site)
    run_ids = list(AutomationRun.objects.filter(site=site).values_list("run_id", flat=True))
    # Read now: the deletion sets the site's pk to None before the commit hook runs.
    site_id = site.pk
    directory = site_log_dir(account_id=site.account_id, site_id=site.pk)

    def clean_up() -> None:
        for run_id in run_ids:
            lock_release(site_id=site_id, run_id=run_id)
        shutil.rmtree(directory, ignore_errors=True)

    for run_id in cancelled:
        logger.info("%s: cancelled: %s", run_id, SITE_DELETED)
    transaction.on_commit(clean_up)
