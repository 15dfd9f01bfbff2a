"""Celery signal receivers that leave traces /ready/ and /metrics read: a worker's last heartbeat and
the last pass of each periodic task that beat sends."""

import logging
import time

from celery.signals import heartbeat_sent, task_postrun, worker_ready
from django.core.cache import cache

from operations.keys import scheduler_pass_key, worker_seen_key

logger = logging.getLogger(__name__)

# The periodic tasks whose last successful pass is reported (beat sends them, a worker runs them).
SCHEDULED_TASKS = (
    "automation.check_scheduled_automations",
    "automation.recover_stale_runs",
    "publishing.publish_due_task",
)
# Long enough that a stopped worker ages visibly past /ready/'s limit before the key disappears.
WORKER_SEEN_TTL = 3600


def record_worker_seen() -> None:
    try:
        cache.set(worker_seen_key(), time.time(), timeout=WORKER_SEEN_TTL)
    except Exception:  # a cache outage must never stop a worker's heartbeat
        logger.warning("could not record the worker heartbeat", exc_info=True)


@worker_ready.connect
def _worker_ready(**kwargs) -> None:
    record_worker_seen()


@heartbeat_sent.connect
def _heartbeat_sent(**kwargs) -> None:
    record_worker_seen()


@task_postrun.connect
def _scheduled_task_done(sender=None, state=None, **kwargs) -> None:
    name = getattr(sender, "name", None)
    if name in SCHEDULED_TASKS and state == "SUCCESS":
        try:
            cache.set(scheduler_pass_key(name), time.time(), timeout=None)
        except Exception:
            logger.warning("could not record the pass of %s", name, exc_info=True)
