"""Celery adapters: they take ids, and call the executor or a service."""

import logging

from celery import shared_task
from celery.signals import celeryd_after_setup, task_postrun, task_prerun
from django.db import DatabaseError, close_old_connections, connection

from automation import idle, retention, row_counts, watchdog
from automation.engine.claim import execute_run
from automation.engine.sizing import connection_shortfall
from automation.services import AutomationService
from automation.task_names import (
    CHECK_SCHEDULED_TASK,
    COMPACT_ROW_COUNTS_TASK,
    CONTINUE_TASK,
    PRUNE_OLD_LOGS_TASK,
    RECOVER_STALE_RUNS_TASK,
    RESUME_TASK,
    RUN_TASK,
    WATCH_IDLE_SITES_TASK,
)
from igny8 import sql
from igny8.capabilities import capabilities

# acks_late + reject_on_worker_lost: a run whose worker died is delivered again; the fencing
# token and heartbeat make the copy exit at once while the first executor is still alive.


@task_prerun.connect
@task_postrun.connect
def _close_stale_connections(**kwargs):
    # Workers have no request cycle to recycle database connections; a task must not inherit a dead one.
    close_old_connections()


logger = logging.getLogger(__name__)


@celeryd_after_setup.connect
def _warn_when_runs_could_exhaust_connections(sender, instance, **kwargs):
    """At a worker's start: warn when its runs could hold more connections than PostgreSQL allows."""
    if not capabilities().postgresql_sql:
        return
    try:
        max_connections = sql.max_connections()
    except DatabaseError:
        return  # the database is not up yet: the first run will say so
    finally:
        connection.close()
    shortfall = connection_shortfall(worker_threads=instance.concurrency, max_connections=max_connections)
    if shortfall:
        logger.warning("Database connections may run out: %s.", shortfall)


RUN_TASK_OPTIONS = {"bind": False, "acks_late": True, "reject_on_worker_lost": True}


@shared_task(name=RUN_TASK, **RUN_TASK_OPTIONS)
def run_automation_task(run_pk: int) -> str:
    return execute_run(run_pk=run_pk)


@shared_task(name=RESUME_TASK, **RUN_TASK_OPTIONS)
def resume_automation_task(run_pk: int) -> str:
    return execute_run(run_pk=run_pk)


@shared_task(name=CONTINUE_TASK, **RUN_TASK_OPTIONS)
def continue_automation_task(run_pk: int) -> str:
    """The reference system's name for resuming a run: the same as `resume_automation_task`."""
    return execute_run(run_pk=run_pk)


@shared_task(name=CHECK_SCHEDULED_TASK)
def check_scheduled_automations() -> dict:
    return AutomationService.check_scheduled_automations()


@shared_task(name=COMPACT_ROW_COUNTS_TASK)
def compact_row_counts() -> int:
    return row_counts.row_counts_compact()


@shared_task(name=RECOVER_STALE_RUNS_TASK)
def recover_stale_runs() -> list[str]:
    return watchdog.recover_stale_runs()


@shared_task(name=WATCH_IDLE_SITES_TASK)
def watch_idle_sites() -> int:
    return idle.watch_idle_sites()


@shared_task(name=PRUNE_OLD_LOGS_TASK)
def prune_old_logs() -> dict:
    return retention.prune_old_logs()
