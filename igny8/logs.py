"""Log context and the JSON log format (`LOG_FORMAT=json`) shared by web, worker and beat.

The request id (set by RequestIDMiddleware), the Celery task and, where the caller passes them as
`extra`, the run id and stage are added to every record, so a JSON line can be joined with the API
response (`X-Request-ID`), the run's log and the task that wrote it.
"""

import logging
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

CONTEXT_FIELDS = ("request_id", "run_id", "stage", "task_id", "task_name")

# gunicorn passes the access log's atoms as the record's args; these become fields of their own.
GUNICORN_ACCESS_FIELDS = {
    "m": "method",
    "U": "path",
    "s": "status",
    "B": "bytes",
    "M": "duration_ms",
    "{x-request-id}o": "request_id",
}


def _current_task():
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a dependency; this keeps logging usable alone
        return None
    task = current_task
    return task if task and getattr(task, "request", None) and task.request.id else None


class ContextFilter(logging.Filter):
    """Adds request_id, task_id and task_name to a record unless it already carries them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            # django.request logs a 4xx/5xx after the middleware returned: its record carries the request.
            record.request_id = request_id_var.get() or getattr(
                getattr(record, "request", None), "request_id", None
            )
        if getattr(record, "task_id", None) is None:
            task = _current_task()
            record.task_id = task.request.id if task else None
            record.task_name = task.name if task else None
        return True


class JsonFormatter(BaseJsonFormatter):
    """One JSON object a line: time, level, logger, message, and the context fields that are known."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_data, record, message_dict)
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            for atom, field in GUNICORN_ACCESS_FIELDS.items():
                value = record.args.get(atom)
                if value not in (None, "-"):
                    log_data[field] = value
        log_data.pop("request", None)  # the request object's repr says no more than the message
        for field in CONTEXT_FIELDS:
            if log_data.get(field) is None:
                log_data.pop(field, None)
