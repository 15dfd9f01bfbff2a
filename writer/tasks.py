from celery import shared_task

from tenancy.models import Site
from writer.services import ideas_queue_to_writer


@shared_task(name="writer.ideas_queue_to_writer_task", acks_late=True)
def ideas_queue_to_writer_task(site_id: int, idea_ids: list[int]) -> dict:
    """The manual `queue_to_writer` action: tasks for the ideas still new; a repeat creates nothing."""
    site = Site.objects.get(pk=site_id)
    tasks = ideas_queue_to_writer(site=site, idea_ids=idea_ids)
    return {
        "function": "queue_to_writer",
        "requested": len(idea_ids),
        "processed": len(tasks),
        "created": len(tasks),
        "skipped": len(idea_ids) - len(tasks),
        "failed": 0,
        "credits_used": 0,
        "errors": [],
    }
