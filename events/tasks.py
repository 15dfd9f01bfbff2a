"""Celery adapters of the events app."""

import math
import time

from celery import shared_task
from django.core.cache import cache

from events.delivery import dispatch_events
from events.keys import events_dispatch_key
from events.task_names import DISPATCH_EVENTS_TASK
from igny8.capabilities import capabilities

# A retry due within this many seconds gets a dispatch queued for it; a worker holds such a task
# until then, so longer back-offs are left to the beat's sweep (every minute).
DELAYED_DISPATCH_MAX_SECONDS = 600
DISPATCH_BUCKET_SECONDS = 5


@shared_task(name=DISPATCH_EVENTS_TASK, acks_late=True, reject_on_worker_lost=True)
def dispatch_events_task() -> dict:
    result = dispatch_events()
    retry_in = result["next_retry_in"]
    if (
        retry_in is not None
        and retry_in <= DELAYED_DISPATCH_MAX_SECONDS
        and not capabilities().tasks_in_process
    ):
        dispatch_when_due(retry_in)
    return result


def dispatch_when_due(seconds: float) -> None:
    """Queue a dispatch for `seconds` from now, unless one is queued for the same bucket of time.

    The time is rounded up to the end of its bucket, so that one dispatch finds every retry of the
    bucket due; a burst of failures thus queues one task per DISPATCH_BUCKET_SECONDS, not one each.
    """
    bucket = math.ceil((time.time() + seconds) / DISPATCH_BUCKET_SECONDS)
    countdown = bucket * DISPATCH_BUCKET_SECONDS - time.time()
    if cache.add(events_dispatch_key(bucket), 1, timeout=int(countdown) + 60):
        dispatch_events_task.apply_async(countdown=countdown)
