"""Celery adapters of the planner: the site inventory's refreshes."""

from celery import shared_task

from planner import inventory
from planner.task_names import REFRESH_DUE_INVENTORIES_TASK, REFRESH_INVENTORY_TASK
from tenancy.models import Site


@shared_task(name=REFRESH_INVENTORY_TASK, acks_late=True)
def refresh_inventory_task(site_id: int) -> dict:
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return {"error": "no such site"}
    return inventory.inventory_refresh(site=site)


@shared_task(name=REFRESH_DUE_INVENTORIES_TASK, acks_late=True)
def refresh_due_inventories_task() -> dict:
    """Refresh, one after another, every site whose inventory is older than its `refresh_hours`."""
    refreshed = 0
    for site_id in inventory.sites_due_for_refresh():
        if inventory.inventory_claim_refresh(site_id=site_id):
            refresh_inventory_task(site_id)
            refreshed += 1
    return {"refreshed": refreshed}
