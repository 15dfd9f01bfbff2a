"""Settings of the operator features: webhook delivery, emails, site.idle and retention.

Read from the environment like the rest of `igny8.settings`, which adds them to its own names.
"""

import os
from collections.abc import Callable
from pathlib import Path


def operations_settings(
    *,
    embedded: bool,
    data_dir: Path,
    env_int: Callable[[str, int], int],
    env_float: Callable[[str, float], float],
) -> dict:
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    return {
        # Webhook retries back off exponentially, then the delivery gives up.
        "EVENTS_MAX_ATTEMPTS": env_int("EVENTS_MAX_ATTEMPTS", 12),
        "EVENTS_RETRY_BASE_SECONDS": env_float("EVENTS_RETRY_BASE_SECONDS", 30.0),
        "EVENTS_RETRY_MAX_SECONDS": env_float("EVENTS_RETRY_MAX_SECONDS", 6 * 3600.0),
        "EVENTS_DELIVERY_TIMEOUT": env_float("EVENTS_DELIVERY_TIMEOUT", 10.0),
        # A sender's hold on a delivery; a sender that died lets it go after this, and it is sent again.
        "EVENTS_DELIVERY_LOCK_SECONDS": env_float("EVENTS_DELIVERY_LOCK_SECONDS", 120.0),
        "EVENTS_EMAIL_DEDUPE_MINUTES": env_int("EVENTS_EMAIL_DEDUPE_MINUTES", 60),
        # site.idle: a running run with no log line for this long.
        "SITE_IDLE_MINUTES": env_int("SITE_IDLE_MINUTES", 30),
        "EMAIL_BACKEND": os.environ.get(
            "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend" if embedded else smtp
        ),
        "EMAIL_HOST": os.environ.get("EMAIL_HOST", "localhost"),
        "EMAIL_PORT": env_int("EMAIL_PORT", 25),
        "EMAIL_TIMEOUT": env_float("EMAIL_TIMEOUT", 10.0),
        # For the file-based backend (one file per message).
        "EMAIL_FILE_PATH": os.environ.get("EMAIL_FILE_PATH", str(data_dir / "mail")),
        "DEFAULT_FROM_EMAIL": os.environ.get("DEFAULT_FROM_EMAIL", "igny8@localhost"),
        # Completed runs' logs and AI task logs older than this are pruned (failed runs' later).
        "RETENTION_DAYS": env_int("RETENTION_DAYS", 90),
        "RETENTION_FAILED_DAYS": env_int("RETENTION_FAILED_DAYS", 180),
    }
