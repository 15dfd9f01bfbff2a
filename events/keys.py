"""Cache keys of the events app, built in one place."""


def events_dispatch_key(due_bucket: int) -> str:
    """Taken by the one delayed dispatch queued for retries that fall due in that bucket of time."""
    return f"events_dispatch_{due_bucket}"
