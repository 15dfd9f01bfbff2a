"""Bulk actions on selected sites: each site is acted on alone, and answers for itself."""

from automation.errors import NothingToRetry
from automation.retries import RetryFilter, retry_failed
from automation.selectors import active_run
from automation.services.control import run_pause, run_resume
from automation.services.runs import start_automation
from igny8.errors import ApplicationError, InvalidTransition, NotFound
from tenancy.models import Account, Site

BULK_ACTIONS = ("run_now", "pause", "resume", "retry_failed")


def site_act(*, account: Account, site: Site, action: str) -> dict:
    """Do `action` on one site; returns `{run_id}`. Raises the ApplicationError that refused it."""
    if action == "run_now":
        return {"run_id": start_automation(site=site).run_id}
    if action == "retry_failed":
        result = retry_failed(
            account=account, site_ids=[site.pk], selection=RetryFilter(), raise_refusal=True
        )
        return {"run_id": result["runs"][0]["run_id"]}
    run = active_run(site=site)
    if run is None:
        raise InvalidTransition("The site has no running or paused run.")
    run = run_pause(run=run) if action == "pause" else run_resume(run=run)
    return {"run_id": run.run_id}


def sites_bulk_action(*, account: Account, sites, site_ids: list[int], action: str) -> list[dict]:
    """`action` on each of `site_ids` among `sites` (the caller's): one result per id, in order.

    A site refused (a run active, no credits, nothing to retry...) does not stop the others.
    Raises NotFound, before acting on any site, when an id is not one of the caller's sites.
    """
    found = {site.pk: site for site in sites.filter(pk__in=site_ids).select_related("account")}
    if set(site_ids) - set(found):
        raise NotFound("Site not found.")
    results = []
    for site_id in dict.fromkeys(site_ids):
        site = found[site_id]
        try:
            done = site_act(account=account, site=site, action=action)
        except (ApplicationError, NothingToRetry) as error:
            results.append({"site_id": site_id, "ok": False, "code": error.code, "error": error.message})
            continue
        results.append({"site_id": site_id, "ok": True, **done})
    return results
