from django.db.models import QuerySet

from automation.models import ACTIVE_STATUSES, AutomationLogEntry, AutomationRun
from automation.row_counts import pending_count, stage_counts
from automation.stages import STAGES, get_stage
from billing.models import CreditTransaction
from igny8.errors import NotFound
from tenancy.models import Site

UP_NEXT = 5


def pipeline_overview(*, site: Site) -> dict:
    stages, counts = [], stage_counts(site=site)
    for stage in STAGES:
        by_status, pending = counts[stage.number]
        stages.append(
            {
                "number": stage.number,
                "name": stage.name,
                "type": stage.type,
                "pending": pending,
                "total": sum(by_status.values()),
                "by_status": by_status,
            }
        )
    return {"stages": stages}


def active_run(*, site: Site) -> AutomationRun | None:
    return AutomationRun.objects.filter(site=site, status__in=ACTIVE_STATUSES).first()


def run_get_for_site_ids(*, run_id: str, site_ids) -> AutomationRun:
    """The run `run_id` of one of `site_ids` (the caller's sites); NotFound for any other run."""
    run = AutomationRun.objects.filter(run_id=run_id, site_id__in=site_ids).select_related("site").first()
    if run is None:
        raise NotFound("Automation run not found.")
    return run


def runs_for_site(*, site: Site) -> QuerySet[AutomationRun]:
    return AutomationRun.objects.filter(site=site).order_by("-id")


def current_processing(*, run: AutomationRun) -> dict | None:
    """What the run works on now: processed/total of its stage, the batch in flight, the next rows up."""
    if not run.is_active:
        return None
    stage = get_stage(run.current_stage)
    batch = run.current_batch or {}
    shown = batch.get("in_flight", []) if batch.get("stage") == stage.number else []
    result = run.stage_result(stage.number) or {}
    processed = result.get(stage.processed_key, 0)
    # Counted before the batch is looked up: a batch that commits in between is then in `pending`
    # and not in flight, rather than in neither.
    pending = pending_count(site=run.site, stage=stage)
    # The batch shown stays on the run after it commits, until the next one is shown: its items
    # are then counted in `processed` already, so only those still pending are in flight.
    still_pending = set(
        stage.pending(run.site).filter(pk__in=[item["id"] for item in shown]).values_list("pk", flat=True)
    )
    in_flight = [item for item in shown if item["id"] in still_pending]
    waiting = stage.pending(run.site).exclude(pk__in=still_pending)
    remaining = pending - len(still_pending)
    total = processed + remaining + len(in_flight)
    return {
        "run_id": run.run_id,
        "status": run.status,
        "stage": stage.number,
        "stage_name": stage.name,
        "processed": processed,
        "total": total,
        "percent": round(100 * processed / total, 1) if total else 0.0,
        "in_flight": in_flight,
        "up_next": [{"id": item.pk, "label": stage.label(item)} for item in waiting[:UP_NEXT]],
        "remaining": remaining,
    }


def credit_breakdown(*, run: AutomationRun) -> dict:
    rows = CreditTransaction.objects.filter(automation_run_id=run.run_id).values_list(
        "stage", "operation_type", "amount"
    )
    by_stage: dict[int, dict] = {}
    for stage, operation, amount in rows:
        entry = by_stage.setdefault(
            stage, {"stage": stage, "credits": 0, "transactions": 0, "operations": {}}
        )
        entry["credits"] -= amount
        entry["transactions"] += 1
        entry["operations"][operation] = entry["operations"].get(operation, 0) - amount
    stages = [by_stage[number] for number in sorted(by_stage)]
    return {"total": sum(entry["credits"] for entry in stages), "stages": stages}


def run_log_lines(*, run: AutomationRun, lines: int, stage: int | None = None) -> list[AutomationLogEntry]:
    entries = run.log_entries.all()
    if stage is not None:
        entries = entries.filter(stage=stage)
    return list(reversed(entries.order_by("-id")[:lines]))
