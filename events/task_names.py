"""The Celery task names of events, written once (the tasks and the settings' beat schedule).
Plain strings, no Django: the settings module imports this before any app is loaded."""

DISPATCH_EVENTS_TASK = "events.dispatch_events_task"
