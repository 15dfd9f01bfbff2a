"""Celery adapters: the beat's ticks and one article's publish. They take ids and call services."""

import logging

from celery import shared_task
from django.utils import timezone

from igny8.capabilities import capabilities
from publishing.inventory import destination_pages_import_due
from publishing.publisher import publish_content
from publishing.services import publishing_tick
from publishing.task_names import (
    IMPORT_DUE_DESTINATION_PAGES_TASK,
    PUBLISH_CONTENT_TASK,
    PUBLISH_DUE_TASK,
)

logger = logging.getLogger(__name__)


@shared_task(name=PUBLISH_CONTENT_TASK, acks_late=True, reject_on_worker_lost=True)
def publish_content_task(content_id: int) -> str:
    """Publish one article if it is due; a duplicate delivery finds it claimed and does nothing."""
    outcome = publish_content(content_id=content_id)
    # In-process (eager) Celery would retry at once, in a loop: there the next tick or publish retries.
    if outcome.status == "retry" and not capabilities().tasks_in_process:
        publish_content_task.apply_async(args=[content_id], countdown=outcome.retry_in)
    return outcome.status


@shared_task(name=PUBLISH_DUE_TASK)
def publish_due_task() -> dict:
    """The beat's tick: approve what auto-approving sites' review gates hold, then send every due
    article (and every one whose worker died) to a worker. Two ticks at once are harmless: each
    article's claim admits one worker."""
    approved, due = publishing_tick(now=timezone.now())
    for content_id in due:
        publish_content_task.delay(content_id)
    return {"approved": approved, "enqueued": len(due)}


@shared_task(name=IMPORT_DUE_DESTINATION_PAGES_TASK)
def import_due_destination_pages_task() -> dict:
    """The beat's import of the destinations' pages whose sites' `refresh_hours` have passed."""
    return destination_pages_import_due()
