"""Enqueues the run tasks by name, so services and the watchdog need not import the tasks module."""

import logging

from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from igny8.capabilities import capabilities
from igny8.celery import app
from igny8.errors import ServiceUnavailable

QUEUE_ERRORS = (BrokerError, RedisError, OSError)
logger = logging.getLogger(__name__)


def queue_check() -> None:
    """Fail fast (before any run exists) when the broker is down."""
    if capabilities().tasks_in_process:
        return
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=2)
    except QUEUE_ERRORS as error:
        # The detail names the broker's host and port: for the log, never for the client.
        logger.warning("task queue unavailable: %s", error)
        raise ServiceUnavailable("The task queue is unavailable; no run was started.") from None


def enqueue(task_name: str, *, run_pk: int) -> None:
    """Send a run task; raises one of QUEUE_ERRORS when the broker refuses it."""
    if capabilities().tasks_in_process:
        # The embedded default runs the task in-process, which needs its registered function.
        app.loader.import_default_modules()
        app.tasks[task_name].apply_async(args=[run_pk])
    else:
        app.send_task(task_name, args=[run_pk])
