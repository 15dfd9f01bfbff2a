"""Waiting on observable conditions, never on clocks."""

import time


def wait_for(condition, *, timeout: float = 90, what: str = "condition", interval: float = 0.05):
    """Poll `condition()` until it returns something truthy (returned), or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
