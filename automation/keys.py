"""Cache keys of the automation app, built in one place (the lock key lives with the lock)."""

from automation.locks import automation_lock_key

__all__ = ["automation_lock_key"]
