"""Retrying failed items and re-running from a stage: new runs through the one start service.

A retry is a run like any other (the site lock, the credit check, the caps, one active run per
site), narrowed by its `item_filter` to the failed rows of the stages it names. The stage loop
reads each of those stages through the stage's own pending query, narrowed to the filter: a row
that another run has processed meanwhile is no longer pending and is not processed again, and an
item's commit re-checks its rows under lock, so concurrent retries and scheduled runs never
process an item twice, and an item is charged only by the commit that processes it.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from automation.errors import NothingToRetry, RunActive
from automation.estimate import estimate_run
from automation.failures import failures_for_account, failures_resolve
from automation.models import AutomationRun, TriggerType
from automation.services.config import config_get_or_create
from automation.services.runs import RunPlan, start_automation
from automation.stages import STAGES
from billing.errors import InsufficientCredits
from billing.selectors import credit_cost_table
from igny8.errors import ValidationFailed
from tenancy.models import Account, Site
from writer.services import images_reset_failed

IMAGES_STAGE = 6


@dataclass(frozen=True)
class RetryFilter:
    """Which failed items to retry: those of a run, of a run's stage, or matching the filters."""

    run_id: str | None = None
    stage: int | None = None
    function: str | None = None
    code: str | None = None
    since: datetime.datetime | None = None
    site_id: int | None = None


def retry_projection(*, site: Site, item_filter: dict[str, list[int]]) -> dict:
    """The estimate of a retry: only its items, stage by stage (the shape of `estimate_run`)."""
    config, costs = config_get_or_create(site=site), credit_cost_table()
    stages, total = [], 0
    for stage in STAGES:
        items = len(item_filter.get(str(stage.number), []))
        credits = stage.estimate_credits(site=site, items=items, config=config, costs=costs) if items else 0
        total += credits
        stages.append({"number": stage.number, "name": stage.name, "pending": items, "credits": credits})
    if config.max_credits_per_run:
        total = min(total, config.max_credits_per_run)
    return {"estimated_credits": total, "stages": stages}


def retry_start(*, site: Site, item_filter: dict[str, list[int]], retry_of: str = "") -> AutomationRun:
    """Start a run over `item_filter`'s rows only; failed images are set pending with the run's creation.

    Raises what `start_automation` raises (RunActive, InsufficientCredits, ServiceUnavailable).
    """
    images = item_filter.get(str(IMAGES_STAGE), [])
    plan = RunPlan(
        from_stage=min(int(number) for number in item_filter),
        item_filter=item_filter,
        retry_of=retry_of,
        projection=retry_projection(site=site, item_filter=item_filter),
        on_create=(lambda: images_reset_failed(site=site, image_ids=images)) if images else None,
    )
    return start_automation(site=site, trigger_type=TriggerType.MANUAL, plan=plan)


def failed_items_by_site(*, account: Account, site_ids, selection: RetryFilter) -> dict[int, dict]:
    """{site_id: {"<stage>": [ids]}} of the open failures that match, once each site's are resolved."""

    def matching():
        return failures_for_account(
            account=account,
            site_ids=site_ids,
            run_id=selection.run_id,
            stage=selection.stage,
            function=selection.function,
            code=selection.code,
            since=selection.since,
        )

    candidate_sites = set(matching().values_list("site_id", flat=True).distinct())
    for site in Site.objects.filter(account=account, pk__in=candidate_sites):
        failures_resolve(site=site)
    by_site: dict[int, dict] = defaultdict(lambda: defaultdict(set))
    for site_id, stage, item_id in matching().values_list("site_id", "stage", "item_id"):
        by_site[site_id][str(stage)].add(item_id)
    return {
        site_id: {stage: sorted(ids) for stage, ids in stages.items()} for site_id, stages in by_site.items()
    }


def retry_failed(*, account: Account, site_ids, selection: RetryFilter, raise_refusal: bool) -> dict:
    """One retry run per site with matching failed items: `{runs: [...], refused: [...]}`.

    Each site starts (or is refused) on its own: a refusal does not undo another site's run. With
    `raise_refusal` (a single run's retry) the one site's refusal is raised instead. Raises
    NothingToRetry when no open failure matches.
    """
    targets = failed_items_by_site(account=account, site_ids=site_ids, selection=selection)
    if not targets:
        raise NothingToRetry()
    runs, refused = [], []
    for site in Site.objects.filter(account=account, pk__in=targets).order_by("pk"):
        item_filter = targets[site.pk]
        try:
            run = retry_start(site=site, item_filter=item_filter, retry_of=selection.run_id or "")
        except (RunActive, InsufficientCredits, ValidationFailed) as error:
            if raise_refusal:
                raise
            refused.append({"site_id": site.pk, "code": error.code, "error": error.message})
            continue
        items = sum(map(len, item_filter.values()))
        runs.append({"run_id": run.run_id, "site_id": site.pk, "status": run.status, "items": items})
    return {"runs": runs, "refused": refused}


def run_from_stage(*, site: Site, from_stage: int) -> AutomationRun:
    """A run that starts at `from_stage` (earlier stages do not run): e.g. regenerate images only.

    Priced by the stages it runs. Raises what `start_automation` raises.
    """
    if not 1 <= from_stage <= len(STAGES):
        raise ValidationFailed(
            "from_stage must be between 1 and 7.", errors={"from_stage": ["Must be between 1 and 7."]}
        )
    projection = estimate_run(site=site, config=config_get_or_create(site=site))
    # Earlier stages do not run: what they would have made is not priced.
    stages = [
        stage if stage["number"] >= from_stage else {**stage, "pending": 0, "credits": 0}
        for stage in projection["stages"]
    ]
    config = config_get_or_create(site=site)
    estimated = sum(stage["credits"] for stage in stages)
    if config.max_credits_per_run:
        estimated = min(estimated, config.max_credits_per_run)
    plan = RunPlan(from_stage=from_stage, projection={"estimated_credits": estimated, "stages": stages})
    return start_automation(site=site, trigger_type=TriggerType.MANUAL, plan=plan)
