"""What the database and the task queue under this process can do, named once.

The product runs on two stacks: PostgreSQL with real Celery workers (production, tests), and the
embedded default (SQLite, Celery in eager mode). Code that must behave differently on them asks
this object, never `connection.vendor` or `CELERY_TASK_ALWAYS_EAGER` directly, so the differences
can be read, and tested, in one place.
"""

from dataclasses import dataclass

from django.db import connection

from igny8.celery import app


@dataclass(frozen=True)
class Capabilities:
    parallel_writers: bool
    """Several connections may write at once. SQLite has one writer: its threads would queue."""

    postgresql_sql: bool
    """PostgreSQL's own statements are available: writing CTEs, triggers, `LOCK TABLE`, `SHOW`."""

    tasks_in_process: bool
    """Celery runs a task in the caller's process and thread (eager mode): no other worker exists
    to take a run over, nothing is redelivered, and there is no broker or worker to watch."""

    @classmethod
    def of(cls, *, vendor: str, eager: bool) -> "Capabilities":
        postgresql = vendor == "postgresql"
        return cls(parallel_writers=postgresql, postgresql_sql=postgresql, tasks_in_process=eager)


def capabilities() -> Capabilities:
    """The capabilities of the default database and of the Celery app as configured now."""
    return Capabilities.of(vendor=connection.vendor, eager=app.conf.task_always_eager)


def in_caller_transaction() -> bool:
    """True inside a transaction the caller opened: rows it wrote are invisible to other connections."""
    return connection.in_atomic_block
