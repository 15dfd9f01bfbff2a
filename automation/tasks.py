"""Celery adapters: they take ids, and call the executor or a service."""

import logging

from celery import shared_task
from celery.signals import celeryd_after_setup, task_postrun, task_prerun
from django.db import DatabaseError, close_old_connections, connection

from automation import idle, retention, services, watchdog
from automation.engine.claim import execute_run
from automation.engine.sizing import connection_shortfall
from automation.services import AutomationService

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
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            max_connections = int(cursor.fetchone()[0])
    except DatabaseError:
        return  # the database is not up yet: the first run will say so
    finally:
        connection.close()
    shortfall = connection_shortfall(worker_threads=instance.concurrency, max_connections=max_connections)
    if shortfall:
        logger.warning("Database connections may run out: %s.", shortfall)


RUN_TASK_OPTIONS = {"bind": False, "acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="automation.run_automation_task", **RUN_TASK_OPTIONS)
def run_automation_task(run_pk: int) -> str:
    return execute_run(run_pk=run_pk)


@shared_task(name="automation.resume_automation_task", **RUN_TASK_OPTIONS)
def resume_automation_task(run_pk: int) -> str:
    return execute_run(run_pk=run_pk)


@shared_task(name="automation.continue_automation_task", **RUN_TASK_OPTIONS)
def continue_automation_task(run_pk: int) -> str:
    """The reference system's name for resuming a run: the same as `resume_automation_task`."""
    return execute_run(run_pk=run_pk)


@shared_task(name="automation.check_scheduled_automations")
def check_scheduled_automations() -> dict:
    return AutomationService.check_scheduled_automations()


@shared_task(name="automation.compact_row_counts")
def compact_row_counts() -> int:
    return services.row_counts_compact()


@shared_task(name="automation.recover_stale_runs")
def recover_stale_runs() -> list[str]:
    return watchdog.recover_stale_runs()


@shared_task(name="automation.watch_idle_sites")
def watch_idle_sites() -> int:
    return idle.watch_idle_sites()


@shared_task(name="automation.prune_old_logs")
def prune_old_logs() -> dict:
    return retention.prune_old_logs()
