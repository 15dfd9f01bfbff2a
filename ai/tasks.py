from celery import shared_task

from ai.engine import run_function
from ai.link_backfill import contents_add_links
from tenancy.models import Site


@shared_task(bind=True, name="ai.run_function_task", acks_late=True, reject_on_worker_lost=True)
def run_function_task(self, name: str, payload: dict, site_id: int) -> dict:
    """A manual AI action: loads the site, runs the function, reports progress and its result."""
    site = Site.objects.select_related("account").get(pk=site_id)

    def progress(current: int, total: int, message: str) -> None:
        self.update_state(state="PROGRESS", meta={"current": current, "total": total, "message": message})

    result = run_function(
        name,
        payload,
        account=site.account,
        site=site,
        progress=progress,
        celery_task_id=self.request.id or "",
    )
    return result.as_dict()


@shared_task(name="ai.add_links_task", acks_late=True, reject_on_worker_lost=True)
def add_links_task(site_id: int, content_ids: list[int] | None) -> dict:
    """The link backfill of many articles (or of a whole site: `content_ids` None)."""
    site = Site.objects.select_related("account").get(pk=site_id)
    return contents_add_links(site=site, content_ids=content_ids).as_dict()
