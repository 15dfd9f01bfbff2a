import logging

from django.core.cache import cache
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from ai.engine import parse_ids, prepare
from ai.functions import rows_named
from ai.keys import ai_task_owner_key
from ai.link_backfill import contents_add_links
from ai.tasks import add_links_task, run_function_task
from igny8.errors import NotFound, ServiceUnavailable
from planner.selectors import ideas_ready_for_tasks
from tenancy.models import Site
from writer.models import Content
from writer.tasks import ideas_queue_to_writer_task

logger = logging.getLogger(__name__)
TASK_OWNER_TTL = 7 * 24 * 3600
QUEUE_TO_WRITER_MAX_IDS = 200
ADD_LINKS_SYNC_LIMIT = 10  # articles linked while the request waits; more go to a worker


def _enqueue(task, *, args: list, site: Site, action: str) -> str:
    """Queue a manual action and remember whose it is, for `GET /ai/tasks/{id}/`; returns the task id."""
    try:
        async_result = task.apply_async(args=args)
        cache.set(ai_task_owner_key(async_result.id), site.account_id, TASK_OWNER_TTL)
    except (BrokerError, RedisError, OSError) as error:
        logger.warning("could not enqueue %s: %s", action, error)
        raise ServiceUnavailable("The task queue is unavailable; nothing was started.") from None
    return async_result.id


def ai_action_dispatch(*, name: str, payload: dict, site: Site) -> str:
    """Validate a manual AI action (ids, options, credits) and enqueue it; returns the Celery task id.

    Raises ValidationFailed or InsufficientCredits before anything is queued, and
    ServiceUnavailable when the broker refuses the task.
    """
    prepare(name, payload, account=site.account, site=site)
    return _enqueue(run_function_task, args=[name, payload, site.pk], site=site, action=name)


def queue_to_writer_dispatch(*, payload: dict, site: Site) -> str:
    """Validate the ideas → tasks action (ids of new ideas of the site) and enqueue it."""
    ids = parse_ids(payload, max_items=QUEUE_TO_WRITER_MAX_IDS)
    rows_named(ideas_ready_for_tasks(site=site), ids, action="queue_to_writer")
    return _enqueue(ideas_queue_to_writer_task, args=[site.pk, ids], site=site, action="queue_to_writer")


def add_links_dispatch(*, site: Site, content_ids: list[int] | None) -> tuple[dict | None, str | None]:
    """The link backfill: (its result, None) when a few articles were linked during the request;
    (None, the Celery task id) when many, or the whole site (`content_ids` None), were queued.
    NotFound names ids that are not the site's articles; ServiceUnavailable: the broker refused.
    """
    if content_ids is not None:
        found = set(Content.objects.filter(site=site, pk__in=content_ids).values_list("pk", flat=True))
        if missing := sorted(set(content_ids) - found):
            raise NotFound(f"Content not found: {missing}.")
    if content_ids is not None and len(content_ids) <= ADD_LINKS_SYNC_LIMIT:
        return contents_add_links(site=site, content_ids=content_ids).as_dict(), None
    return None, _enqueue(add_links_task, args=[site.pk, content_ids], site=site, action="add_links")


def ai_task_account_id(*, task_id: str) -> int | None:
    return cache.get(ai_task_owner_key(task_id))
