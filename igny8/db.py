"""What the database's errors mean for the caller."""

from django.db import DatabaseError

# PostgreSQL's SQLSTATE for a transaction it chose to abort to break a deadlock.
DEADLOCK_DETECTED = "40P01"


def is_deadlock(error: DatabaseError) -> bool:
    """True when PostgreSQL aborted the transaction to break a deadlock: trying it again is safe."""
    return getattr(error.__cause__, "sqlstate", None) == DEADLOCK_DETECTED
