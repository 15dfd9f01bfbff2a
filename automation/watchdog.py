"""Finds running runs that no executor is working on and enqueues them again.

Two cases, told apart by the heartbeat: a run claimed since its last enqueue whose executor went
silent (heartbeat older than AUTOMATION_STALE_SECONDS) is handed over at once; a run not claimed
since it was enqueued is waiting in the queue, which can take long when the workers are busy, so it
is enqueued again only when its message is no longer in the broker and it has waited longer than
AUTOMATION_QUEUE_STALE_SECONDS (a message a dead worker had reserved comes back only after Redis's
visibility timeout). Each re-enqueue is logged on the run and counts as its last enqueue, so the
watchdog never piles messages for one run on the broker.
"""

import ast
import json
import logging

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from automation.dispatch import enqueue
from automation.logger import AutomationLogger
from automation.models import AutomationRun
from automation.task_names import RESUME_TASK, RUN_TASKS
from igny8.celery import app

logger = logging.getLogger(__name__)
REQUEUE_EVENT = "watchdog_requeue"


def queued_run_pks() -> set[int] | None:
    """Primary keys of runs whose task message waits in the broker's automation queue; None if unknown."""
    try:
        with app.connection_for_read() as connection:
            if connection.transport.driver_type != "redis":
                return None
            messages = connection.default_channel.client.lrange("automation", 0, -1)
    except Exception as error:  # the broker is unreachable: decide by the clock alone
        logger.warning("watchdog could not read the automation queue: %s", error)
        return None
    run_pks = set()
    for raw in messages:
        try:
            headers = json.loads(raw)["headers"]
            if headers.get("task") in RUN_TASKS:
                run_pks.add(int(ast.literal_eval(headers["argsrepr"])[0]))
        except (ValueError, KeyError, TypeError, IndexError, SyntaxError):
            continue
    return run_pks


def _last_requeues(run_pks) -> dict[int, object]:
    rows = (
        AutomationRun.objects.filter(pk__in=run_pks, log_entries__event=REQUEUE_EVENT)
        .values("pk")
        .annotate(at=Max("log_entries__created_at"))
    )
    return {row["pk"]: row["at"] for row in rows}


def stale_runs() -> list[tuple[AutomationRun, str]]:
    """Running runs to hand to a new worker, each with the reason."""
    now = timezone.now()
    queue_stale_before = now - timezone.timedelta(seconds=settings.AUTOMATION_QUEUE_STALE_SECONDS)
    runs = list(AutomationRun.objects.without_live_executor(now=now))
    requeued = _last_requeues([run.pk for run in runs])
    waiting = None
    found = []
    for run in runs:
        enqueued_at = max(t for t in (run.started_at, run.resumed_at, requeued.get(run.pk)) if t)
        if run.heartbeat_at is not None and run.heartbeat_at >= enqueued_at:
            # Claimed since its last enqueue, and (by without_live_executor) silent for too long.
            found.append((run, "No heartbeat from the executor; handing the run to a new worker."))
            continue
        if enqueued_at >= queue_stale_before:
            continue
        if waiting is None:
            waiting = queued_run_pks() or set()
        if run.pk in waiting:
            continue
        waited = int((now - enqueued_at).total_seconds())
        found.append(
            (run, f"No worker took the run in {waited} s and its message is gone; enqueueing it again.")
        )
    return found


def recover_stale_runs() -> list[str]:
    """Re-enqueue every stale run; the executor's claim keeps this safe if the old one wakes up."""
    recovered = []
    for run, reason in stale_runs():
        AutomationLogger(run).warning(reason, stage=run.current_stage, event=REQUEUE_EVENT)
        enqueue(RESUME_TASK, run_pk=run.pk)
        recovered.append(run.run_id)
    return recovered
