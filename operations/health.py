"""Readiness checks: each answers {"ok": bool, ...} with an error class name at most, never a host,
a URL or a message that could carry one."""

import time
import uuid
from datetime import datetime, timezone

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from igny8.capabilities import capabilities
from igny8.celery import app
from igny8.static_files import static_files_missing
from operations.keys import readiness_probe_key, scheduler_pass_key, worker_seen_key
from operations.signals import scheduled_tasks


def _failed(error: Exception) -> dict:
    return {"ok": False, "error": type(error).__name__}


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return _failed(error)
    return {"ok": True}


def check_cache() -> dict:
    token = uuid.uuid4().hex
    try:
        cache.set(readiness_probe_key(), token, timeout=30)
        if cache.get(readiness_probe_key()) != token:
            return {"ok": False, "error": "cache did not return the value just written"}
    except Exception as error:
        return _failed(error)
    return {"ok": True}


def check_broker() -> dict:
    if capabilities().tasks_in_process:
        return {"ok": True, "mode": "eager"}
    timeout = settings.HEALTH_BROKER_TIMEOUT
    try:
        with app.connection_for_read(settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
            conn.default_channel  # noqa: B018 - opening a channel is what proves the broker answers
    except Exception as error:
        return _failed(error)
    return {"ok": True}


def check_static_files() -> dict:
    # The web process refuses to start without them; this catches a STATIC_ROOT emptied since.
    try:
        missing = static_files_missing()
    except Exception as error:
        return _failed(error)
    if missing:
        return {"ok": False, "error": "static files are not collected: run `manage.py collectstatic`"}
    return {"ok": True}


def worker_last_seen() -> float | None:
    """Seconds since a Celery worker last sent a heartbeat, or None if none was ever recorded."""
    seen = cache.get(worker_seen_key())
    return None if seen is None else max(0.0, time.time() - float(seen))


def check_worker() -> dict:
    if capabilities().tasks_in_process:
        return {"ok": True, "mode": "eager"}
    try:
        age = worker_last_seen()
    except Exception as error:
        return _failed(error)
    if age is None:
        return {"ok": False, "error": "no worker has been seen"}
    result = {"ok": age <= settings.HEALTH_WORKER_MAX_AGE, "last_seen_seconds_ago": round(age, 1)}
    if not result["ok"]:
        result["error"] = f"no worker seen in the last {settings.HEALTH_WORKER_MAX_AGE:g} seconds"
    return result


def scheduler_passes() -> dict[str, float | None]:
    """When each periodic task that beat sends last completed (Unix time), or None: beat's trace."""
    passes = {}
    for name in scheduled_tasks():
        try:
            at = cache.get(scheduler_pass_key(name))
        except Exception:
            at = None
        passes[name] = None if at is None else float(at)
    return passes


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, tz=timezone.utc).isoformat()


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "worker": check_worker,
    "static": check_static_files,
}


def readiness() -> tuple[bool, dict]:
    checks = {name: check() for name, check in CHECKS.items()}
    ready = all(result["ok"] for result in checks.values())
    body = {
        "status": "ready" if ready else "unavailable",
        "checks": checks,
        "failed": [name for name, result in checks.items() if not result["ok"]],
        "scheduler": {"last_pass": {name: _iso(at) for name, at in scheduler_passes().items()}},
    }
    return ready, body
