"""What a run would do and cost, stage by stage, from the stages' pending queries."""

from automation.models import AutomationConfig
from automation.row_counts import pending_counts
from automation.stages import STAGES
from billing.selectors import credit_cost_table
from tenancy.models import Site


def estimate_run(*, site: Site, config: AutomationConfig) -> dict:
    """`{estimated_credits, stages: [{number, name, pending, projected_items, credits}]}`."""
    stages, projected, total = [], {}, 0
    costs = credit_cost_table()
    counts = pending_counts(site=site)
    for stage in STAGES:
        pending = counts[stage.number]
        usable = pending if pending >= stage.min_batch else 0
        items = stage.project(pending=usable, earlier=projected, config=config)
        if cap := stage.cap(config):
            items = min(items, cap)
        projected[stage.number] = items
        credits = stage.estimate_credits(site=site, items=items, config=config, costs=costs)
        total += credits
        stages.append(
            {
                "number": stage.number,
                "name": stage.name,
                "pending": pending,
                "projected_items": items,
                "credits": credits,
            }
        )
    if config.max_credits_per_run:
        total = min(total, config.max_credits_per_run)
    return {"estimated_credits": total, "stages": stages}
