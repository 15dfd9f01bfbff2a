"""The Celery task names of the planner, written once (the tasks and the settings' beat schedule).
Plain strings, no Django: the settings module imports this before any app is loaded. Never rename
one: queued messages carry them."""

REFRESH_INVENTORY_TASK = "planner.refresh_inventory_task"
REFRESH_DUE_INVENTORIES_TASK = "planner.refresh_due_inventories_task"
