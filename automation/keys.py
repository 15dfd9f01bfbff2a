"""Cache keys of the automation app, built in one place."""


def automation_lock_key(site_id: int) -> str:
    return f"automation_lock_{site_id}"
