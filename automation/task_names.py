"""The Celery task names of automation, written once: the tasks, the dispatcher, the settings' routes
and beat schedule, and the operator checks all import them. Plain strings, no Django: the settings
module imports this before any app is loaded.

The names are stable (queued messages and other deployments' workers carry them), so never rename one.
"""

RUN_TASK = "automation.run_automation_task"
RESUME_TASK = "automation.resume_automation_task"
# The reference system's name for resuming a run; it runs the same executor as RESUME_TASK.
CONTINUE_TASK = "automation.continue_automation_task"
CHECK_SCHEDULED_TASK = "automation.check_scheduled_automations"
COMPACT_ROW_COUNTS_TASK = "automation.compact_row_counts"
RECOVER_STALE_RUNS_TASK = "automation.recover_stale_runs"

# The tasks that carry a whole run: they go to the `automation` queue.
RUN_TASKS = (RUN_TASK, RESUME_TASK, CONTINUE_TASK)
WATCH_IDLE_SITES_TASK = "automation.watch_idle_sites"
PRUNE_OLD_LOGS_TASK = "automation.prune_old_logs"
