"""Celery adapters of the events app."""

from celery import shared_task

from events.delivery import dispatch_events

DISPATCH_TASK = "events.dispatch_events_task"


@shared_task(name=DISPATCH_TASK, acks_late=True, reject_on_worker_lost=True)
def dispatch_events_task() -> dict:
    return dispatch_events()
