"""The events a run emits, written in the transaction of the change they report (events outbox)."""

from automation.models import AutomationRun, ItemFailure, RunStatus, TriggerType
from automation.stages import STAGES
from events.services import event_emit

MAX_ITEMS_IN_EVENT = 100


def run_event_data(run: AutomationRun, **extra) -> dict:
    return {
        "run_id": run.run_id,
        "trigger_type": run.trigger_type,
        "credits_used": run.total_credits_used,
        **extra,
    }


def emit(run: AutomationRun, event_type: str, *, dedupe_key: str | None = None, **data) -> None:
    event_emit(
        account_id=run.account_id,
        site_id=run.site_id,
        type=event_type,
        data=run_event_data(run, **data),
        dedupe_key=dedupe_key,
    )


def run_ended_events(*, run: AutomationRun) -> None:
    """Inside the transaction that ends the run: its outcome, its failed items (one event), its
    articles now in review, and `site.idle` when a scheduled run produced nothing."""
    if run.status == RunStatus.FAILED:
        emit(run, "run.failed", error=run.error_message, stage=run.current_stage)
    else:
        results = {stage.number: run.stage_result(stage.number) for stage in STAGES}
        results = {number: result for number, result in results.items() if result is not None}
        # A per-run cap ends the run (the rest skipped) rather than pausing it: said here.
        capped = any(
            result.get("partial_reason") == "max_credits_per_run reached" for result in results.values()
        )
        emit(run, "run.completed", results=results, capped=capped)
    failures = list(
        ItemFailure.objects.filter(run_id=run.run_id).values("stage", "item_id", "code", "error")[
            : MAX_ITEMS_IN_EVENT + 1
        ]
    )
    if failures:
        count = ItemFailure.objects.filter(run_id=run.run_id).count()
        emit(
            run,
            "item.failed",
            count=count,
            items=failures[:MAX_ITEMS_IN_EVENT],
            truncated=count > len(failures[:MAX_ITEMS_IN_EVENT]),
        )
    in_review = (run.stage_7_result or {}).get("ready_for_review", 0)
    if in_review:
        emit(run, "content.ready_for_review", count=in_review)
    if run.trigger_type == TriggerType.SCHEDULED and run.status == RunStatus.COMPLETED and not produced(run):
        emit(run, "site.idle", reason="scheduled_run_produced_nothing", dedupe_key=f"site.idle:{run.run_id}")


def produced(run: AutomationRun) -> bool:
    """Whether any stage of the run created or moved anything."""
    for number in (stage.number for stage in STAGES):
        result = run.stage_result(number) or {}
        if any(
            value
            for key, value in result.items()
            if key.endswith(("_created", "_processed", "_generated", "ready_for_review"))
            and isinstance(value, int)
        ):
            return True
    return False


def run_paused_event(*, run: AutomationRun, reason: str) -> None:
    """Inside the transaction that pauses the run: `run.paused` with why (user, budget)."""
    emit(run, "run.paused", reason=reason, stage=run.current_stage)
