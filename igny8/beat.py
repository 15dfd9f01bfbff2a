"""The periodic tasks Celery beat sends, by the names each app writes once."""

from celery.schedules import crontab

from automation import task_names
from events import task_names as events_task_names
from planner import task_names as planner_task_names
from publishing import task_names as publishing_task_names


def beat_schedule() -> dict:
    # /ready/ and /metrics report the last pass of every task scheduled here (operations.signals).
    return {
        "check-scheduled-automations": {
            "task": task_names.CHECK_SCHEDULED_TASK,
            "schedule": crontab(minute=5),
            "options": {"expires": 50 * 60},
        },
        "recover-stale-automation-runs": {
            "task": task_names.RECOVER_STALE_RUNS_TASK,
            "schedule": crontab(minute="*"),
            "options": {"expires": 50},
        },
        # Publishing runs apart from the pipeline: a run never waits on a CMS.
        "publish-due-content": {
            "task": publishing_task_names.PUBLISH_DUE_TASK,
            "schedule": crontab(minute="*/2"),
            "options": {"expires": 100},
        },
        # Sends the events outbox: a dispatch is also queued after each event's commit; this sweeps.
        "dispatch-events": {
            "task": events_task_names.DISPATCH_EVENTS_TASK,
            "schedule": crontab(minute="*"),
            "options": {"expires": 50},
        },
        "watch-idle-sites": {
            "task": task_names.WATCH_IDLE_SITES_TASK,
            "schedule": crontab(minute="*/5"),
            "options": {"expires": 4 * 60},
        },
        "prune-old-logs": {
            "task": task_names.PRUNE_OLD_LOGS_TASK,
            "schedule": crontab(minute=30, hour=3),
            "options": {"expires": 60 * 60},
        },
        # Sites whose inventory is older than their refresh_hours read their sitemap again.
        "refresh-site-inventories": {
            "task": planner_task_names.REFRESH_DUE_INVENTORIES_TASK,
            "schedule": crontab(minute="*/15"),
            "options": {"expires": 14 * 60},
        },
        # Destinations whose pages were imported once are imported again on the same period.
        "import-destination-pages": {
            "task": publishing_task_names.IMPORT_DUE_DESTINATION_PAGES_TASK,
            "schedule": crontab(minute="*/15"),
            "options": {"expires": 14 * 60},
        },
        # Keeps what the pipeline endpoints sum per site down to the writes of the last minute.
        "compact-stage-row-counts": {
            "task": task_names.COMPACT_ROW_COUNTS_TASK,
            "schedule": crontab(minute="*"),
            "options": {"expires": 50},
        },
    }
