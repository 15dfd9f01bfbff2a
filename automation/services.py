"""Automation services: config, starting a run, pause/resume/cancel, and the scheduler."""

import datetime
import logging
import math
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    TimeField,
    Value,
    When,
)
from django.utils import timezone
from redis.exceptions import RedisError

from automation.budgets import budget_status
from automation.dispatch import QUEUE_ERRORS, RESUME_TASK, RUN_TASK, enqueue, queue_check
from automation.errors import RunActive
from automation.estimate import estimate_run
from automation.locks import lock_acquire, lock_holder, lock_release
from automation.logger import AutomationLogger, site_log_dir
from automation.models import (
    ACTIVE_STATUSES,
    AutomationConfig,
    AutomationRun,
    Frequency,
    RunStatus,
    StageRowCount,
    TriggerType,
)
from automation.notifications import run_ended_events, run_paused_event
from automation.stages import STAGES
from billing.errors import InsufficientCredits
from billing.selectors import credits_balance
from igny8.errors import InvalidTransition, NotFound, ServiceUnavailable, ValidationFailed
from tenancy.models import Site

logger = logging.getLogger(__name__)
CREDIT_BUFFER = 1.2
SITE_DELETED = "The site was deleted while the run was active."


# Config ---------------------------------------------------------------------------------------


def config_get_or_create(*, site: Site) -> AutomationConfig:
    config, _ = AutomationConfig.objects.get_or_create(site=site, defaults={"account_id": site.account_id})
    return config


def config_update(*, config: AutomationConfig, fields: dict) -> AutomationConfig:
    """Apply validated fields; recomputes `next_run_at` when the schedule changes."""
    for name, value in fields.items():
        setattr(config, name, value)
    config.next_run_at = next_run_time(config, timezone.now()) if config.is_enabled else None
    config.save()
    return config


# Starting a run ----------------------------------------------------------------------------------


def new_run_id(trigger_type: str, now: datetime.datetime) -> str:
    """`run_YYYYMMDD_HHMMSS_<trigger>_<6 hex>`: the random tail keeps ids made in the same second unique.

    An existence check cannot do that: two sites starting in the same second both find the bare id free.
    """
    return f"run_{now:%Y%m%d_%H%M%S}_{trigger_type}_{secrets.token_hex(3)}"


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


def active_run(*, site: Site) -> AutomationRun | None:
    return AutomationRun.objects.filter(site=site, status__in=ACTIVE_STATUSES).first()


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


# Control ------------------------------------------------------------------------------------------


def run_get_for_site_ids(*, run_id: str, site_ids) -> AutomationRun:
    run = AutomationRun.objects.filter(run_id=run_id, site_id__in=site_ids).select_related("site").first()
    if run is None:
        raise NotFound("Automation run not found.")
    return run


def run_pause(*, run: AutomationRun, reason: str = "user") -> AutomationRun:
    """running → paused, with `run.paused` (and why) in the same transaction. The executor stops
    before its next batch and keeps what it did. Raises InvalidTransition unless running."""
    with transaction.atomic():
        if not AutomationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.PAUSED, paused_at=timezone.now(), pause_reason=reason
        ):
            run.refresh_from_db()
            raise InvalidTransition(f"Only a running run can be paused; this one is {run.status}.")
        run.refresh_from_db()
        run_paused_event(run=run, reason=reason)
    lock_release(site_id=run.site_id, run_id=run.run_id)
    run.refresh_from_db()
    AutomationLogger(run).info("Run paused.", stage=run.current_stage, event="run_paused")
    return run


def run_resume(*, run: AutomationRun) -> AutomationRun:
    """paused → running: re-takes the site lock and continues from `current_stage`.

    The status change comes first and picks one winner among concurrent resumes; only the winner
    touches the lock, so a losing request can never release the lock the winner took.
    """
    if run.status != RunStatus.PAUSED:
        raise InvalidTransition(f"Only a paused run can be resumed; this one is {run.status}.")
    queue_check()
    if not AutomationRun.objects.filter(pk=run.pk, status=RunStatus.PAUSED).update(
        status=RunStatus.RUNNING, resumed_at=timezone.now()
    ):
        run.refresh_from_db()
        raise InvalidTransition(f"Only a paused run can be resumed; this one is {run.status}.")
    if not lock_take(site_id=run.site_id, run_id=run.run_id):
        AutomationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(status=RunStatus.PAUSED)
        raise RunActive("The site lock is held by another start; try again in a moment.")
    run.refresh_from_db()
    if run.status != RunStatus.RUNNING:
        # A pause or cancel landed between the status change and the lock: it released nothing, so we do.
        lock_release(site_id=run.site_id, run_id=run.run_id)
        raise InvalidTransition(f"The run was {run.status} while it resumed.")
    AutomationLogger(run).info("Run resumed.", stage=run.current_stage, event="run_resumed")
    try:
        enqueue(RESUME_TASK, run_pk=run.pk)
    except QUEUE_ERRORS as error:
        AutomationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(status=RunStatus.PAUSED)
        lock_release(site_id=run.site_id, run_id=run.run_id)
        logger.warning("could not enqueue the resume of run %s: %s", run.run_id, error)
        AutomationLogger(run).error(
            "Resume could not be enqueued (task queue unavailable); the run stays paused."
        )
        raise ServiceUnavailable("The task queue is unavailable; the run stays paused.") from None
    run.refresh_from_db()
    return run


def run_cancel(*, run: AutomationRun) -> AutomationRun:
    """running/paused → cancelled, releasing the lock at once; work in flight is discarded."""
    now = timezone.now()
    if not AutomationRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
        status=RunStatus.CANCELLED, cancelled_at=now, completed_at=now
    ):
        run.refresh_from_db()
        raise InvalidTransition(f"Only a running or paused run can be cancelled; this one is {run.status}.")
    lock_release(site_id=run.site_id, run_id=run.run_id)
    run.refresh_from_db()
    AutomationLogger(run).info("Run cancelled.", stage=run.current_stage, event="run_cancelled")
    return run


def runs_cancel_for_site(*, site: Site) -> list[str]:
    """Cancel the site's running or paused run, with the reason, and release its lock; returns their ids.

    Committed at once: the executor stops at its next check, and each item it commits is refused
    (its guard needs an active run), so the site's rows stop changing before the site is deleted.
    """
    now = timezone.now()
    cancelled = []
    for run in AutomationRun.objects.filter(site=site, status__in=ACTIVE_STATUSES):
        if AutomationRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
            status=RunStatus.CANCELLED, cancelled_at=now, completed_at=now, error_message=SITE_DELETED
        ):
            lock_release(site_id=site.pk, run_id=run.run_id)
            AutomationLogger(run).info(
                f"Run cancelled: {SITE_DELETED}", stage=run.current_stage, event="run_cancelled"
            )
            cancelled.append(run.run_id)
    return cancelled


def runs_end_for_site_deletion(*, site: Site) -> None:
    """Inside a site's deletion: cancel a run still active, and once the deletion commits release the
    lock and remove the site's run log files (the run rows go with the site)."""
    cancelled = runs_cancel_for_site(site=site)
    run_ids = list(AutomationRun.objects.filter(site=site).values_list("run_id", flat=True))
    # Read now: the deletion sets the site's pk to None before the commit hook runs.
    site_id = site.pk
    directory = site_log_dir(account_id=site.account_id, site_id=site.pk)

    def clean_up() -> None:
        for run_id in run_ids:
            lock_release(site_id=site_id, run_id=run_id)
        shutil.rmtree(directory, ignore_errors=True)

    for run_id in cancelled:
        logger.info("%s: cancelled: %s", run_id, SITE_DELETED)
    transaction.on_commit(clean_up)


def lock_take(*, site_id: int, run_id: str) -> bool:
    """Take the site lock for `run_id`, first releasing one that a run which has ended left behind."""
    if lock_acquire(site_id=site_id, run_id=run_id):
        return True
    return lock_release_if_ended(site_id=site_id, run_id=lock_holder(site_id)) and lock_acquire(
        site_id=site_id, run_id=run_id
    )


def lock_release_if_ended(*, site_id: int, run_id: str | None) -> bool:
    """Release the site lock that `run_id` holds if that run has ended; True if it was released.

    An executor that dies between ending its run and releasing the lock leaves the lock behind
    (for AUTOMATION_LOCK_TTL). The lock of a run whose row does not exist yet (still starting) is kept.
    """
    if not run_id:
        return False
    ended = AutomationRun.objects.filter(run_id=run_id).exclude(status__in=ACTIVE_STATUSES).exists()
    return ended and lock_release(site_id=site_id, run_id=run_id)


def run_count_credits(*, run_pk: int, token: int, credits: int, cap: int | None = None) -> bool:
    """Add `credits` to the run's total if `token` still owns it, active, within `cap`; False if not.

    Every item's commit makes this UPDATE, so it is one plain statement: the ORM's took several
    times the CPU of the statement itself to build. It locks the run's row until the commit.
    """
    table = connection.ops.quote_name(AutomationRun._meta.db_table)
    statuses = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    sql = (
        f"UPDATE {table} SET total_credits_used = total_credits_used + %s"
        f" WHERE id = %s AND fencing_token = %s AND status IN ({statuses})"
    )
    params = [credits, run_pk, token, *ACTIVE_STATUSES]
    if cap is not None:
        sql += " AND total_credits_used <= %s"
        params.append(cap - credits)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


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


# Scheduler -----------------------------------------------------------------------------------------


def due_frequencies(local: datetime.datetime) -> list[str]:
    """The frequencies due on `local`'s day: daily always, weekly on Mondays, monthly on the 1st."""
    frequencies = [Frequency.DAILY]
    if local.weekday() == 0:
        frequencies.append(Frequency.WEEKLY)
    if local.day == 1:
        frequencies.append(Frequency.MONTHLY)
    return frequencies


def is_due(config: AutomationConfig, now: datetime.datetime) -> bool:
    local = timezone.localtime(now)
    return local.hour == config.scheduled_time.hour and config.frequency in due_frequencies(local)


def configs_due(*, now: datetime.datetime) -> QuerySet[AutomationConfig]:
    """Enabled configs scheduled in the current hour of TIME_ZONE, on a day their frequency runs.

    The same rule as `is_due`, in SQL: `scheduled_time` is a local time of day, so the hour is a
    range over it (which the partial index on enabled configs serves).
    """
    local = timezone.localtime(now)
    configs = AutomationConfig.objects.filter(
        is_enabled=True,
        frequency__in=due_frequencies(local),
        scheduled_time__gte=datetime.time(local.hour),
    )
    if local.hour < 23:
        configs = configs.filter(scheduled_time__lt=datetime.time(local.hour + 1))
    return configs


def next_run_time(config: AutomationConfig, now: datetime.datetime) -> datetime.datetime:
    """The first scheduled hour strictly after the current hour."""
    local = timezone.localtime(now).replace(minute=config.scheduled_time.minute, second=0, microsecond=0)
    candidate = local.replace(hour=config.scheduled_time.hour)
    if candidate <= timezone.localtime(now).replace(minute=59, second=59):
        candidate += datetime.timedelta(days=1)
    for _ in range(40):
        if config.frequency == Frequency.DAILY:
            break
        if config.frequency == Frequency.WEEKLY and candidate.weekday() == 0:
            break
        if config.frequency == Frequency.MONTHLY and candidate.day == 1:
            break
        candidate += datetime.timedelta(days=1)
    return candidate


def next_run_time_of_due(now: datetime.datetime) -> Case:
    """`next_run_time` of every config due at `now`, as one SQL expression.

    Due configs share the current hour, so their next date depends on their frequency alone: the
    next date at that hour, plus the config's own minutes past it.
    """
    hour = datetime.time(timezone.localtime(now).hour)
    minutes = F("scheduled_time") - Value(hour, output_field=TimeField())
    return Case(
        *(
            When(
                frequency=frequency,
                then=ExpressionWrapper(
                    Value(next_run_time(AutomationConfig(frequency=frequency, scheduled_time=hour), now))
                    + minutes,
                    output_field=DateTimeField(),
                ),
            )
            for frequency in Frequency.values
        ),
        output_field=DateTimeField(),
    )


def check_scheduled_automations(*, now: datetime.datetime | None = None) -> dict:
    """Start the due runs. Skips a site that ran in the last 23 hours or has a running or paused run.

    One query selects and locks the due configs (not every config), one writes their `next_run_at`
    and claims the startable ones by setting `last_run_at`; then each claimed site starts. A second
    beat at the same time skips the locked rows, or sees `last_run_at` and skips the site. A start
    that is refused gives the claim back, so `last_run_at` only records runs that started.
    """
    now = now or timezone.now()
    ran_recently = Q(last_run_at__gt=now - datetime.timedelta(hours=23))
    with transaction.atomic():
        due = list(
            configs_due(now=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("site")
            .annotate(
                ran_recently=ExpressionWrapper(ran_recently, output_field=BooleanField()),
                has_active_run=Exists(
                    AutomationRun.objects.filter(site=OuterRef("site_id"), status__in=ACTIVE_STATUSES)
                ),
            )
            .order_by("pk")
        )
        claimed, skipped = [], []
        for config in due:
            if config.ran_recently:
                skipped.append({"site_id": config.site_id, "reason": "ran within the last 23 hours"})
            elif config.has_active_run:
                skipped.append({"site_id": config.site_id, "reason": "a run is running or paused"})
            else:
                claimed.append(config)
        AutomationConfig.objects.filter(pk__in=[config.pk for config in claimed]).update(last_run_at=now)
        AutomationConfig.objects.filter(pk__in=[config.pk for config in due]).update(
            next_run_at=next_run_time_of_due(now)
        )
    started = []
    for config in claimed:
        try:
            started.append(start_automation(site=config.site, trigger_type=TriggerType.SCHEDULED).run_id)
        except (RunActive, InsufficientCredits, ValidationFailed, ServiceUnavailable) as error:
            claim = AutomationConfig.objects.filter(pk=config.pk, last_run_at=now)
            claim.update(last_run_at=config.last_run_at)
            skipped.append({"site_id": config.site_id, "reason": error.message})
    for entry in skipped:
        logger.info("scheduled run for site %s skipped: %s", entry["site_id"], entry["reason"])
    return {"started": started, "skipped": skipped}


# Row counts -------------------------------------------------------------------------------------


def row_counts_compact() -> int:
    """Folds the stage row counters into one row per (site, stage, status, pending); returns the rows left.

    One statement moves every row into its group's sum, so each counted change is folded exactly
    once: rows that writers commit meanwhile are not in the statement's snapshot and stay for the
    next compaction. The table lock conflicts only with another compaction (writers' inserts take
    a weaker lock), so two compactions never delete the same rows in different orders.
    """
    if connection.vendor != "postgresql":
        return 0  # no triggers, no counters: see automation.row_counts
    table = StageRowCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {table} RETURNING site_id, stage, status, pending, n) "
            f"INSERT INTO {table} (site_id, stage, status, pending, n) "
            "SELECT site_id, stage, status, pending, SUM(n) FROM moved "
            "GROUP BY site_id, stage, status, pending HAVING SUM(n) <> 0"
        )
        return cursor.rowcount


class AutomationService:
    """The automation module's public entry, under the names the reference system documents.

    Views, tasks, admin actions, commands and the scheduler call these; each is a thin face over
    the service function of the same purpose above.
    """

    @staticmethod
    def start_automation(
        *, site: Site, trigger_type: str = TriggerType.MANUAL, plan: RunPlan | None = None
    ) -> AutomationRun:
        return start_automation(site=site, trigger_type=trigger_type, plan=plan)

    @staticmethod
    def pause_automation(*, run: AutomationRun) -> AutomationRun:
        return run_pause(run=run)

    @staticmethod
    def resume_automation(*, run: AutomationRun) -> AutomationRun:
        return run_resume(run=run)

    @staticmethod
    def cancel_automation(*, run: AutomationRun) -> AutomationRun:
        return run_cancel(run=run)

    @staticmethod
    def get_config(*, site: Site) -> AutomationConfig:
        return config_get_or_create(site=site)

    @staticmethod
    def update_config(*, config: AutomationConfig, fields: dict) -> AutomationConfig:
        return config_update(config=config, fields=fields)

    @staticmethod
    def estimate(*, site: Site) -> dict:
        return run_estimate(site=site)

    @staticmethod
    def check_scheduled_automations(*, now: datetime.datetime | None = None) -> dict:
        return check_scheduled_automations(now=now)
