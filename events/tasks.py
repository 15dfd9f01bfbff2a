"""Celery adapters of the events app."""

from celery import shared_task

from events.delivery import dispatch_events
from events.task_names import DISPATCH_EVENTS_TASK


@shared_task(name=DISPATCH_EVENTS_TASK, acks_late=True, reject_on_worker_lost=True)
def dispatch_events_task() -> dict:
    return dispatch_events()
