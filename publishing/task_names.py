"""The Celery task names of publishing, written once (the tasks and the settings' beat schedule).
Plain strings, no Django: the settings module imports this before any app is loaded. Never rename
one: queued messages carry them."""

PUBLISH_CONTENT_TASK = "publishing.publish_content_task"
PUBLISH_DUE_TASK = "publishing.publish_due_task"
IMPORT_DUE_DESTINATION_PAGES_TASK = "publishing.import_due_destination_pages_task"
