"""The site lock: at most one run starts or works per site. Its value is the run id holding it."""

from django.conf import settings
from django.core.cache import cache

from automation.keys import automation_lock_key


def lock_acquire(*, site_id: int, run_id: str) -> bool:
    """Take the site lock for `run_id` (or confirm it already holds it)."""
    key = automation_lock_key(site_id)
    return cache.add(key, run_id, settings.AUTOMATION_LOCK_TTL) or cache.get(key) == run_id


def lock_release(*, site_id: int, run_id: str) -> None:
    key = automation_lock_key(site_id)
    if cache.get(key) == run_id:
        cache.delete(key)


def lock_extend(*, site_id: int, run_id: str) -> None:
    key = automation_lock_key(site_id)
    if cache.get(key) == run_id:
        cache.touch(key, settings.AUTOMATION_LOCK_TTL)
    else:
        cache.add(key, run_id, settings.AUTOMATION_LOCK_TTL)
