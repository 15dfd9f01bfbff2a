"""The run loop: executes a claimed run stage by stage, batch by batch, until done, paused or cancelled."""

import logging
import threading
import time

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from automation.errors import Fenced
from automation.locks import lock_extend
from automation.logger import AutomationLogger
from automation.models import ACTIVE_STATUSES, AutomationConfig, AutomationRun, RunStatus
from automation.services import config_get_or_create, run_finish
from automation.stages import STAGES, Batch, Stage
from billing.errors import InsufficientCredits
from billing.selectors import credits_used_by_run
from igny8.errors import ApplicationError

logger = logging.getLogger(__name__)
MAX_CONSECUTIVE_FAILED_BATCHES = 3


class StageFailed(Exception):
    pass


class Stop(Exception):
    """The run was paused or cancelled: leave the loop, keeping what was done."""


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def executor_claim(*, run_pk: int) -> int | None:
    """Claim a running run whose heartbeat is absent or stale; returns the new fencing token."""
    now = timezone.now()
    claimed = (
        AutomationRun.objects.without_live_executor(now=now)
        .filter(pk=run_pk)
        .update(fencing_token=F("fencing_token") + 1, heartbeat_at=now)
    )
    if not claimed:
        return None
    return AutomationRun.objects.values_list("fencing_token", flat=True).get(pk=run_pk)


class Heartbeat(threading.Thread):
    """Keeps the run's heartbeat and the site lock fresh while the executor works."""

    def __init__(self, run: AutomationRun, token: int):
        super().__init__(name=f"heartbeat-{run.run_id}", daemon=True)
        self.automation_run, self.token = run, token
        self.stopped = threading.Event()
        self.fenced = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(settings.AUTOMATION_HEARTBEAT_SECONDS):
                # Only a running run beats: a paused one has been handed back and must stay claimable.
                beat = AutomationRun.objects.filter(
                    pk=self.automation_run.pk, fencing_token=self.token, status=RunStatus.RUNNING
                )
                if not beat.update(heartbeat_at=timezone.now()):
                    if not AutomationRun.objects.filter(
                        pk=self.automation_run.pk, fencing_token=self.token
                    ).exists():
                        self.fenced.set()
                        return
                    continue
                lock_extend(site_id=self.automation_run.site_id, run_id=self.automation_run.run_id)
        except Exception:
            logger.exception("heartbeat of %s failed", self.automation_run.run_id)
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()
        if self.is_alive():
            self.join(timeout=5)


def execute_run(*, run_pk: int) -> str:
    """Claim and execute a run; returns how the executor ended. A second executor exits at once."""
    token = executor_claim(run_pk=run_pk)
    if token is None:
        logger.info("run %s: not claimed (another executor is alive, or it is not running)", run_pk)
        return "not_claimed"
    run = AutomationRun.objects.select_related("site__account").get(pk=run_pk)
    lock_extend(site_id=run.site_id, run_id=run.run_id)
    # In-process (eager, or inside a caller's transaction) no other executor can take the run over,
    # and a heartbeat thread could not see the caller's uncommitted run.
    in_process = settings.CELERY_TASK_ALWAYS_EAGER or connection.in_atomic_block
    heartbeat = None if in_process else Heartbeat(run, token)
    if heartbeat:
        heartbeat.start()
    executor = RunExecutor(run, token, heartbeat)
    try:
        return executor.execute()
    finally:
        if heartbeat:
            heartbeat.stop()
        # Whatever ended this executor, a run it still owns that is no longer running is claimable.
        AutomationRun.objects.filter(pk=run_pk, fencing_token=token).exclude(status=RunStatus.RUNNING).update(
            heartbeat_at=None
        )


class RunExecutor:
    def __init__(self, run: AutomationRun, token: int, heartbeat: Heartbeat | None):
        self.run, self.token, self.heartbeat = run, token, heartbeat
        self.site = run.site
        self.log = AutomationLogger(run)

    # Ownership and control ---------------------------------------------------------------------

    def guard(self) -> None:
        """Inside an item's transaction: refuse the commit unless this executor still owns an active run."""
        owned = AutomationRun.objects.select_for_update().filter(
            pk=self.run.pk, fencing_token=self.token, status__in=ACTIVE_STATUSES
        )
        if not list(owned.values_list("pk", flat=True)):
            raise Fenced()

    def check_control(self) -> None:
        """Between batches: go on while running; raise Stop when paused or cancelled, Fenced when replaced."""
        if self.heartbeat and self.heartbeat.fenced.is_set():
            raise Fenced()
        while True:
            status, token = AutomationRun.objects.values_list("status", "fencing_token").get(pk=self.run.pk)
            if token != self.token:
                raise Fenced()
            if status == RunStatus.RUNNING:
                return
            if status == RunStatus.PAUSED:
                # Hand the run back only if it is still paused; a resume in between means: carry on.
                handed_back = AutomationRun.objects.filter(
                    pk=self.run.pk, fencing_token=self.token, status=RunStatus.PAUSED
                ).update(heartbeat_at=None, current_batch={})
                if handed_back:
                    raise Stop()
                continue
            AutomationRun.objects.filter(pk=self.run.pk, fencing_token=self.token).update(
                heartbeat_at=None, current_batch={}
            )
            raise Stop()

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            time.sleep(min(1.0, remaining))
            self.check_control()

    def update_run(self, **fields) -> None:
        if not AutomationRun.objects.filter(pk=self.run.pk, fencing_token=self.token).update(**fields):
            raise Fenced()
        for name, value in fields.items():
            setattr(self.run, name, value)

    # The run ------------------------------------------------------------------------------------

    def execute(self) -> str:
        try:
            self.check_control()
            config = config_get_or_create(site=self.site)
            if self.run.current_stage == 1 and self.run.stage_1_result is None:
                self.log.info(f"Executor started (token {self.token}).", event="executor_start")
            else:
                self.log.info(f"Executor continues from stage {self.run.current_stage} (token {self.token}).")
            credit_cap_hit = False
            for position, stage in enumerate(STAGES[self.run.current_stage - 1 :]):
                self.update_run(current_stage=stage.number)
                if credit_cap_hit:
                    self.save_result(
                        stage,
                        {**stage.empty_result(), "skipped": True, "reason": "max_credits_per_run reached"},
                    )
                    continue
                if position and config.between_stage_delay:
                    self.wait(config.between_stage_delay)
                credit_cap_hit = self.run_stage(stage, config)
            run_finish(run=self.run, status=RunStatus.COMPLETED, token=self.token)
            return "completed"
        except Stop:
            self.log.info("Executor stopped: the run is no longer running.", stage=self.run.current_stage)
            return "stopped"
        except Fenced:
            logger.info("%s: executor fenced out (token %s)", self.run.run_id, self.token)
            return "fenced"
        except InsufficientCredits as error:
            run_finish(run=self.run, status=RunStatus.FAILED, error=error.message, token=self.token)
            return "failed"
        except StageFailed as error:
            run_finish(run=self.run, status=RunStatus.FAILED, error=str(error), token=self.token)
            return "failed"
        except Exception as error:
            logger.exception("%s: executor crashed", self.run.run_id)
            run_finish(
                run=self.run, status=RunStatus.FAILED, error=f"Unexpected error: {error}", token=self.token
            )
            return "failed"

    def save_result(self, stage: Stage, result: dict) -> None:
        spent = credits_used_by_run(automation_run_id=self.run.run_id)
        result["credits_used"] = spent.get(stage.number, 0)
        self.update_run(**{f"stage_{stage.number}_result": result}, total_credits_used=sum(spent.values()))

    def run_stage(self, stage: Stage, config: AutomationConfig) -> bool:
        """Run one stage to the end of its queue; returns True when the run's credit cap was reached."""
        previous = self.run.stage_result(stage.number)
        result = dict(previous) if previous else stage.empty_result()
        result.pop("partial", None)
        seconds_before = result.get("seconds", 0.0)
        started = time.monotonic()
        pending = stage.pending(self.site).count()
        processed_before = result[stage.processed_key]

        def elapsed() -> None:
            result["seconds"] = round(seconds_before + time.monotonic() - started, 3)
            result["time_elapsed"] = format_elapsed(result["seconds"])

        skip_reason = None
        if pending == 0 and not processed_before:
            skip_reason = "nothing pending"
        elif pending < stage.min_batch and not processed_before:
            skip_reason = f"needs at least {stage.min_batch} pending {stage.items_name}; {pending} pending"
        if skip_reason:
            result.update(skipped=True, reason=skip_reason)
            elapsed()
            self.save_result(stage, result)
            self.log.info(
                f"{stage.name}: skipped ({skip_reason}).",
                stage=stage.number,
                event="stage_complete",
                skipped=True,
                reason=skip_reason,
            )
            return False

        self.log.info(
            f"{stage.name}: {pending} pending.", stage=stage.number, event="stage_start", pending=pending
        )
        try:
            credit_cap_hit = self.run_batches(
                stage, config, result, total=processed_before + pending, elapsed=elapsed
            )
        except (Stop, StageFailed, InsufficientCredits):
            result["partial"] = True
            elapsed()
            self.save_result(stage, result)
            raise
        elapsed()
        self.save_result(stage, result)
        summary = {key: value for key, value in result.items() if key != "seconds"}
        self.log.info(f"{stage.name}: done.", stage=stage.number, event="stage_complete", result=summary)
        return credit_cap_hit

    def run_batches(
        self, stage: Stage, config: AutomationConfig, result: dict, *, total: int, elapsed
    ) -> bool:
        attempted: set[int] = set()
        failed_in_a_row, last_error, succeeded = 0, "", False

        def queue_done() -> bool:
            if attempted and not succeeded:
                raise StageFailed(
                    f"Stage {stage.number} ({stage.name}) failed: no batch succeeded; {last_error}"
                )
            return False

        cap, size, options = stage.cap(config), stage.batch_size(config), stage.options(config)
        while True:
            self.check_control()
            if config.max_credits_per_run and self.run.total_credits_used >= config.max_credits_per_run:
                result.update(partial_reason="max_credits_per_run reached")
                return True
            limit = size
            if cap:
                limit = min(limit or cap, cap - result[stage.processed_key])
                if limit <= 0:
                    result["partial_reason"] = f"{stage.cap_field} reached"
                    return False
            waiting = stage.pending(self.site).exclude(pk__in=attempted).values_list("pk", flat=True)
            batch = list(waiting[:limit] if limit else waiting)
            if not batch:
                return queue_done()
            if len(batch) < stage.min_batch:
                result["leftover"] = len(batch)
                self.log.info(
                    f"{len(batch)} {stage.items_name} left: fewer than {stage.min_batch}, kept for later.",
                    stage=stage.number,
                )
                return queue_done()
            if attempted and config.within_stage_delay:
                self.wait(config.within_stage_delay)
            attempted.update(batch)
            self.show_batch(stage, batch, result, total)
            try:
                outcome = stage.process(
                    Batch(
                        site=self.site,
                        ids=batch,
                        options=options,
                        run_id=self.run.run_id,
                        stage=stage.number,
                        guard=self.guard,
                    )
                )
            except InsufficientCredits as error:
                raise InsufficientCredits(
                    required=error.required,
                    available=error.available,
                    message=f"Stage {stage.number} ran out of credits: {error.message}",
                ) from None
            except ApplicationError as error:
                outcome, last_error = None, error.message
                result["errors"] += 1
                self.log.warning(f"Batch refused: {error.message}", stage=stage.number, ids=batch)
            if outcome is not None:
                result["errors"] += len(outcome.errors)
                stage.tally(result, outcome, stage)
                if stage.created_key:
                    result[stage.created_key] += outcome.created
                if outcome.errors:
                    last_error = outcome.errors[-1]["error"]
                    for item in outcome.errors:
                        self.log.error(
                            f"Item {item['ids']} failed: {item['error']}", stage=stage.number, ids=item["ids"]
                        )
            batch_failed = outcome is None or (outcome.processed == 0 and outcome.failed > 0)
            succeeded = succeeded or not batch_failed
            failed_in_a_row = failed_in_a_row + 1 if batch_failed else 0
            if failed_in_a_row >= MAX_CONSECUTIVE_FAILED_BATCHES:
                raise StageFailed(
                    f"Stage {stage.number} ({stage.name}) stopped after {failed_in_a_row} failed batches "
                    f"in a row; last error: {last_error}"
                )
            elapsed()
            self.save_result(stage, result)
            self.log.info(
                f"Processed {result[stage.processed_key]}/{total}.",
                stage=stage.number,
                event="stage_item_processed",
                ids=batch,
                processed=result[stage.processed_key],
            )

    def show_batch(self, stage: Stage, batch: list[int], result: dict, total: int) -> None:
        items = stage.pending(self.site).filter(pk__in=batch)
        self.update_run(
            current_batch={
                "stage": stage.number,
                "total": total,
                "processed": result[stage.processed_key],
                "in_flight": [{"id": item.pk, "label": stage.label(item)} for item in items],
            }
        )
