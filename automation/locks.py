"""The site lock: one value (the holder's run id) under `automation_lock_{site_id}`, with a TTL.

On Redis (django-redis) every change that depends on the current holder goes through redis-py's
`Lock`, whose release and extend are Lua scripts that compare the stored token with the caller's
and act in one step: a request can never delete or extend a lock that another run took in the
meantime. The token is the run id encoded by django-redis's own serializer, so `cache.get` of the
key still reads the run id. On any other cache (locmem in the embedded default, one process) a
process-wide mutex makes the same compare-and-act steps atomic.

The policy over them (`lock_take`, `lock_release_if_ended`): a lock left behind by a run that has
ended is released before a new holder takes it.
"""

import threading

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import LockError
from redis.lock import Lock

from automation.models import ACTIVE_STATUSES, AutomationRun

_local_mutex = threading.Lock()


def automation_lock_key(site_id: int) -> str:
    return f"automation_lock_{site_id}"


def lock_holder(site_id: int) -> str | None:
    """The run id holding the site lock, or None."""
    return cache.get(automation_lock_key(site_id))


def _redis_lock(site_id: int, run_id: str) -> Lock | None:
    """A redis-py Lock on the cache's key carrying `run_id` as its token; None off Redis."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    lock = Lock(
        client.get_client(write=True),
        client.make_key(automation_lock_key(site_id)),
        timeout=settings.AUTOMATION_LOCK_TTL,
        thread_local=False,
    )
    lock.local.token = client.encode(run_id, allow_int=False)
    return lock


def lock_acquire(*, site_id: int, run_id: str) -> bool:
    """Take the site lock for `run_id`; True when it is now held by `run_id` (taken or already held)."""
    lock = _redis_lock(site_id, run_id)
    if lock is None:
        with _local_mutex:
            key = automation_lock_key(site_id)
            return cache.add(key, run_id, settings.AUTOMATION_LOCK_TTL) or cache.get(key) == run_id
    return lock.acquire(blocking=False, token=lock.local.token) or lock.owned()


def lock_release(*, site_id: int, run_id: str) -> bool:
    """Delete the site lock only if `run_id` holds it (compare-and-delete); True if it was deleted."""
    lock = _redis_lock(site_id, run_id)
    if lock is None:
        with _local_mutex:
            key = automation_lock_key(site_id)
            if cache.get(key) != run_id:
                return False
            return cache.delete(key)
    try:
        lock.release()
    except LockError:
        return False
    return True


def lock_extend(*, site_id: int, run_id: str) -> bool:
    """Renew the TTL of the lock `run_id` holds, or take it again if it lapsed; False if another holds it."""
    lock = _redis_lock(site_id, run_id)
    if lock is None:
        with _local_mutex:
            key = automation_lock_key(site_id)
            if cache.get(key) == run_id:
                return cache.touch(key, settings.AUTOMATION_LOCK_TTL)
            return cache.add(key, run_id, settings.AUTOMATION_LOCK_TTL)
    try:
        return lock.extend(settings.AUTOMATION_LOCK_TTL, replace_ttl=True)
    except LockError:
        return lock.acquire(blocking=False, token=lock.local.token)


def lock_take(*, site_id: int, run_id: str) -> bool:
    """Take the site lock for `run_id`, first releasing one that a run which has ended left behind."""
    if lock_acquire(site_id=site_id, run_id=run_id):
        return True
    return lock_release_if_ended(site_id=site_id, run_id=lock_holder(site_id)) and lock_acquire(
        site_id=site_id, run_id=run_id
    )


def lock_release_if_ended(*, site_id: int, run_id: str | None) -> bool:
    """Release the site lock that `run_id` holds if that run has ended; True if it was released.

    An executor that dies between ending its run and releasing the lock leaves the lock behind
    (for AUTOMATION_LOCK_TTL). The lock of a run whose row does not exist yet (still starting) is kept.
    """
    if not run_id:
        return False
    ended = AutomationRun.objects.filter(run_id=run_id).exclude(status__in=ACTIVE_STATUSES).exists()
    return ended and lock_release(site_id=site_id, run_id=run_id)
