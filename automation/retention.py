"""Retention: old run logs, AI task logs, resolved failures and delivered events are pruned in
small batches (short transactions, no long locks). The credit ledger is never pruned."""

import datetime
import shutil

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from ai.models import AITaskLog
from automation.logger import run_log_dir
from automation.models import AutomationLogEntry, AutomationRun, ItemFailure, RunStatus
from events.models import DeliveryStatus, Event

BATCH = 1000


def delete_in_batches(rows: QuerySet, *, batch: int = BATCH) -> int:
    """Delete `rows` a batch of ids at a time, each batch its own short statement; returns the count."""
    deleted = 0
    while True:
        ids = list(rows.values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += rows.model.objects.filter(pk__in=ids).delete()[1].get(rows.model._meta.label, 0)


def prune_old_logs(*, now: datetime.datetime | None = None, batch: int = BATCH) -> dict:
    """Prune what is older than RETENTION_DAYS (failed runs' logs: RETENTION_FAILED_DAYS)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.RETENTION_DAYS)
    failed_cutoff = now - datetime.timedelta(days=settings.RETENTION_FAILED_DAYS)
    ended = Q(status__in=[RunStatus.COMPLETED, RunStatus.CANCELLED], completed_at__lt=cutoff) | Q(
        status=RunStatus.FAILED, completed_at__lt=failed_cutoff
    )
    runs = AutomationRun.objects.filter(ended)
    pruned_runs = list(runs.filter(log_entries__isnull=False).distinct().select_related("site")[: batch * 10])
    counts = {
        "run_log_lines": delete_in_batches(AutomationLogEntry.objects.filter(run__in=runs), batch=batch),
        "ai_task_logs": delete_in_batches(
            AITaskLog.objects.filter(
                Q(status=AITaskLog.Status.SUCCESS, created_at__lt=cutoff)
                | Q(status=AITaskLog.Status.FAILED, created_at__lt=failed_cutoff)
            ),
            batch=batch,
        ),
        "resolved_failures": delete_in_batches(
            ItemFailure.objects.filter(resolved_at__lt=cutoff), batch=batch
        ),
        "events": delete_in_batches(
            Event.objects.filter(created_at__lt=cutoff, dispatched_at__isnull=False).exclude(
                deliveries__status=DeliveryStatus.PENDING
            ),
            batch=batch,
        ),
    }
    for run in pruned_runs:
        shutil.rmtree(run_log_dir(run), ignore_errors=True)
    return counts
