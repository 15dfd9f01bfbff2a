"""Runs: starting one (its id, snapshot and credit check), counting its credits, and ending it."""

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from automation import sql as automation_sql
from automation.budgets import budget_status
from automation.dispatch import QUEUE_ERRORS, enqueue, queue_check
from automation.errors import RunActive
from automation.estimate import estimate_run
from automation.locks import lock_release, lock_take
from automation.logger import AutomationLogger
from automation.models import ACTIVE_STATUSES, AutomationConfig, AutomationRun, RunStatus, TriggerType
from automation.notifications import run_ended_events
from automation.run_ids import new_run_id
from automation.selectors import active_run
from automation.services.config import config_get_or_create
from automation.stages import STAGES
from automation.task_names import RUN_TASK
from billing.errors import InsufficientCredits
from billing.selectors import credits_balance
from igny8.errors import ServiceUnavailable, ValidationFailed
from tenancy.models import Site

logger = logging.getLogger(__name__)
CREDIT_BUFFER = 1.2


def initial_snapshot(*, site: Site, pending: dict[int, int] | None = None) -> dict:
    """Each stage's pending count at the start; `pending` ({stage: count}) when already counted."""
    if pending is None:
        pending = {stage.number: stage.pending(site).count() for stage in STAGES}
    snapshot = {f"stage_{number}_initial": count for number, count in sorted(pending.items())}
    snapshot["total_initial_items"] = sum(snapshot.values())
    return snapshot


def credits_required(estimate: int) -> int:
    """Credits an account must hold to start a run: the estimate plus a 20% buffer."""
    return math.ceil(estimate * CREDIT_BUFFER)


def run_estimate(*, site: Site) -> dict:
    """What a run started now would cost, the balance, and whether it covers the 20% buffer."""
    estimate = estimate_run(site=site, config=config_get_or_create(site=site))
    balance = credits_balance(account_id=site.account_id)
    required = credits_required(estimate["estimated_credits"])
    return {
        "estimated_credits": estimate["estimated_credits"],
        "current_balance": balance,
        "required_with_buffer": required,
        "sufficient": balance >= required,
        "stages": estimate["stages"],
        "monthly_budget": budget_status(config=config_get_or_create(site=site)),
    }


@dataclass(frozen=True)
class RunPlan:
    """What a run covers when it is not the whole pipeline: a retry's items, or a re-run from a stage."""

    from_stage: int = 1
    item_filter: dict = field(default_factory=dict)  # {"<stage>": [ids]}: a retry's rows
    retry_of: str = ""
    # The estimate of what the run covers ({estimated_credits, stages}); None: the whole pipeline's.
    projection: dict | None = None
    on_create: Callable[[], None] | None = None  # called inside the transaction that creates the run


def credits_check(*, site: Site, estimate: int) -> int:
    """The balance, when it covers `estimate` plus the buffer; raises InsufficientCredits otherwise."""
    required = credits_required(estimate)
    available = credits_balance(account_id=site.account_id)
    if available < required:
        raise InsufficientCredits(
            required=required,
            available=available,
            message=(
                f"Insufficient credits: this run is estimated at {estimate} credits and needs {required} "
                f"(estimate + 20% buffer); the account has {available}."
            ),
        )
    return available


def start_automation(
    *, site: Site, trigger_type: str = TriggerType.MANUAL, plan: RunPlan | None = None
) -> AutomationRun:
    """Start a run for `site`: take the site lock, check credits, create the run, enqueue it.

    `plan` narrows the run (a retry, a re-run from a stage); its `on_create` commits with the run.
    Raises RunActive (lock held or a run running/paused), InsufficientCredits (balance below
    1.2 × the estimate; the message gives both), ServiceUnavailable (broker down: no run is
    created, or one that could not be enqueued is marked failed). Every refusal releases the lock.
    """
    if not site.is_active:
        raise ValidationFailed("This site is inactive; activate it to run automation.", code="site_inactive")
    plan = plan or RunPlan()
    queue_check()
    config = config_get_or_create(site=site)
    run_id = new_run_id(trigger_type, timezone.now())
    lock_take_for_start(site_id=site.pk, run_id=run_id)
    try:
        run, estimate, available = _run_create(
            site=site, config=config, run_id=run_id, trigger_type=trigger_type, plan=plan
        )
    except BaseException:
        lock_release(site_id=site.pk, run_id=run_id)
        raise
    AutomationLogger(run).info(
        f"Run started ({trigger_type}); estimated {estimate} credits, balance {available}.",
        event="run_start",
        estimated_credits=estimate,
        snapshot=run.initial_snapshot,
    )
    run_enqueue(run=run)
    run.refresh_from_db()
    return run


def _run_create(
    *, site: Site, config: AutomationConfig, run_id: str, trigger_type: str, plan: RunPlan
) -> tuple[AutomationRun, int, int]:
    """The new run (with the estimate and the balance it started on), under the site lock the caller holds.

    Raises RunActive (a run running or paused) or InsufficientCredits.
    """
    if active_run(site=site) is not None:
        raise RunActive()
    projection = plan.projection or estimate_run(site=site, config=config)
    estimate = projection["estimated_credits"]
    available = credits_check(site=site, estimate=estimate)
    try:
        with transaction.atomic():
            run = AutomationRun.objects.create(
                run_id=run_id,
                account_id=site.account_id,
                site=site,
                trigger_type=trigger_type,
                current_stage=plan.from_stage,
                item_filter=plan.item_filter,
                retry_of=plan.retry_of,
                # The estimate's counts: a large queue is counted once per start, not twice.
                initial_snapshot=initial_snapshot(
                    site=site,
                    pending={stage["number"]: stage["pending"] for stage in projection["stages"]},
                ),
            )
            if plan.on_create:
                plan.on_create()
    except IntegrityError:
        raise RunActive() from None
    return run, estimate, available


def lock_take_for_start(*, site_id: int, run_id: str) -> None:
    """Take the site lock for a new run; raises RunActive when held, ServiceUnavailable without Redis."""
    try:
        if not lock_take(site_id=site_id, run_id=run_id):
            raise RunActive("An automation run is already starting or running for this site.")
    except RedisError as error:
        logger.warning("lock store unavailable: %s", error)
        raise ServiceUnavailable("The lock store is unavailable.") from None


def run_enqueue(*, run: AutomationRun) -> None:
    """Queue a created run; if the broker refuses, the run is marked failed and ServiceUnavailable raised."""
    try:
        enqueue(RUN_TASK, run_pk=run.pk)
    except QUEUE_ERRORS as error:
        logger.warning("could not enqueue run %s: %s", run.run_id, error)
        run_finish(
            run=run,
            status=RunStatus.FAILED,
            error="Could not enqueue the run: the task queue is unavailable.",
        )
        raise ServiceUnavailable("The task queue is unavailable; the run was marked failed.") from None


def run_count_credits(*, run_pk: int, token: int, credits: int, cap: int | None = None) -> bool:
    """Add `credits` to the run's total if `token` still owns it, active, within `cap`; False if not.

    Every item's commit makes this one statement (`automation.sql.run_credits_add`); it locks the
    run's row until the commit.
    """
    ceiling = None if cap is None else cap - credits
    return automation_sql.run_credits_add(run_pk=run_pk, token=token, credits=credits, ceiling=ceiling)


def run_finish(*, run: AutomationRun, status: str, error: str = "", token: int | None = None) -> bool:
    """End an active run as completed or failed, release the lock; False if it had already ended.

    The status change and the events it emits (`run.completed`/`run.failed`, `item.failed`, ...)
    commit together.
    """
    runs = AutomationRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES)
    if token is not None:
        runs = runs.filter(fencing_token=token)
    with transaction.atomic():
        ended = runs.update(
            status=status,
            error_message=error,
            completed_at=timezone.now(),
            heartbeat_at=None,
            current_batch={},
        )
        # Released before the commit makes the end visible (and queues its events' dispatch):
        # whoever sees the run ended finds the lock free.
        lock_release(site_id=run.site_id, run_id=run.run_id)
        if ended:
            run.refresh_from_db()
            run_ended_events(run=run)
    if ended:
        log = AutomationLogger(run)
        if status == RunStatus.FAILED:
            log.error(f"Run failed: {error}", stage=run.current_stage, event="error")
        else:
            log.info("Run completed.", event="run_complete", total_credits_used=run.total_credits_used)
    return bool(ended)
