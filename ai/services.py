import logging

from django.core.cache import cache
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from ai.engine import prepare
from ai.keys import ai_task_owner_key
from ai.tasks import run_function_task
from igny8.errors import ServiceUnavailable
from tenancy.models import Site

logger = logging.getLogger(__name__)
TASK_OWNER_TTL = 7 * 24 * 3600


def ai_action_dispatch(*, name: str, payload: dict, site: Site) -> str:
    """Validate a manual AI action (ids, options, credits) and enqueue it; returns the Celery task id.

    Raises ValidationFailed or InsufficientCredits before anything is queued, and
    ServiceUnavailable when the broker refuses the task.
    """
    prepare(name, payload, account=site.account, site=site)
    try:
        async_result = run_function_task.apply_async(args=[name, payload, site.pk])
        cache.set(ai_task_owner_key(async_result.id), site.account_id, TASK_OWNER_TTL)
    except (BrokerError, RedisError, OSError) as error:
        logger.warning("could not enqueue %s: %s", name, error)
        raise ServiceUnavailable("The task queue is unavailable; nothing was started.") from None
    return async_result.id


def ai_task_account_id(*, task_id: str) -> int | None:
    return cache.get(ai_task_owner_key(task_id))
