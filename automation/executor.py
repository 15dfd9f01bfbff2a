"""The run loop: executes a claimed run stage by stage, batch by batch, until done, paused or cancelled."""

import contextlib
import logging
import shutil
import threading
import time

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ai.engine import run_function
from automation.errors import Fenced
from automation.locks import lock_extend, lock_release
from automation.logger import AutomationLogger, run_log_dir
from automation.models import ACTIVE_STATUSES, AutomationConfig, AutomationRun, RunStatus
from automation.services import config_get_or_create, run_finish
from automation.stages import STAGES, Stage
from billing.errors import InsufficientCredits
from billing.selectors import credits_used_by_run
from igny8.errors import ApplicationError
from writer.models import Content, ContentStatus

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
    stale_before = now - timezone.timedelta(seconds=settings.AUTOMATION_STALE_SECONDS)
    claimed = (
        AutomationRun.objects.filter(pk=run_pk, status=RunStatus.RUNNING)
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale_before))
        .update(fencing_token=F("fencing_token") + 1, heartbeat_at=now)
    )
    if not claimed:
        return None
    return AutomationRun.objects.values_list("fencing_token", flat=True).get(pk=run_pk)


def hold_site_lock(run: AutomationRun) -> None:
    """Renew the site lock of a running run, and give it back if the run stopped meanwhile.

    A pause or cancel between the executor's status check and the renewal has already released the
    lock; renewing after it would leave the site locked by a run that no longer runs.
    """
    lock_extend(site_id=run.site_id, run_id=run.run_id)
    if not AutomationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).exists():
        lock_release(site_id=run.site_id, run_id=run.run_id)


class RunGone(Exception):
    """The run's row is gone (its site was deleted): stop, writing nothing more for it."""


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
                try:
                    if not self.beat():
                        return
                except Exception:
                    # A dropped database connection or a restarted Redis must not silence the heartbeat
                    # for good: that would hand a working run to a second executor.
                    logger.warning(
                        "heartbeat of %s failed; retrying", self.automation_run.run_id, exc_info=True
                    )
                    connection.close()
        finally:
            connection.close()

    def beat(self) -> bool:
        """One beat; False once this executor has been fenced out."""
        # Only a running run beats: a paused one has been handed back and must stay claimable.
        beat = AutomationRun.objects.filter(
            pk=self.automation_run.pk, fencing_token=self.token, status=RunStatus.RUNNING
        )
        if not beat.update(heartbeat_at=timezone.now()):
            if not AutomationRun.objects.filter(pk=self.automation_run.pk, fencing_token=self.token).exists():
                self.fenced.set()
                return False
            return True
        hold_site_lock(self.automation_run)
        return True

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
    hold_site_lock(run)
    heartbeat = None if settings.CELERY_TASK_ALWAYS_EAGER else Heartbeat(run, token)
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
            row = AutomationRun.objects.filter(pk=self.run.pk).values_list("status", "fencing_token").first()
            if row is None:
                raise RunGone()
            status, token = row
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
            for stage in STAGES[self.run.current_stage - 1 :]:
                self.update_run(current_stage=stage.number)
                if credit_cap_hit:
                    self.save_result(
                        stage,
                        {**stage.empty_result(), "skipped": True, "reason": "max_credits_per_run reached"},
                    )
                    continue
                credit_cap_hit = self.run_stage(stage, config)
                if stage.number < 7 and config.between_stage_delay:
                    self.wait(config.between_stage_delay)
            run_finish(run=self.run, status=RunStatus.COMPLETED, token=self.token)
            return "completed"
        except Stop:
            with contextlib.suppress(IntegrityError):  # its site may be going: the run row with it
                self.log.info("Executor stopped: the run is no longer running.", stage=self.run.current_stage)
            # Checked after the log line, which may have re-created files that the deletion removed.
            return "stopped" if self.run_exists() else self.gone()
        except RunGone:
            return self.gone()
        except Fenced:
            if not self.run_exists():
                return self.gone()
            logger.info("%s: executor fenced out (token %s)", self.run.run_id, self.token)
            return "fenced"
        except InsufficientCredits as error:
            run_finish(run=self.run, status=RunStatus.FAILED, error=error.message, token=self.token)
            return "failed"
        except StageFailed as error:
            run_finish(run=self.run, status=RunStatus.FAILED, error=str(error), token=self.token)
            return "failed"
        except (OperationalError, InterfaceError) as error:
            return self.hand_over(error)
        except Exception as error:
            if not self.run_exists():
                return self.gone()
            logger.exception("%s: executor crashed", self.run.run_id)
            run_finish(
                run=self.run, status=RunStatus.FAILED, error=f"Unexpected error: {error}", token=self.token
            )
            return "failed"

    def hand_over(self, error: Exception) -> str:
        """The database connection failed under the executor: give the run to a fresh executor at once.

        Nothing of the item in flight committed, so the next executor simply processes it again. If the
        database is still away, the heartbeat goes stale and the watchdog hands the run over later.
        """
        if settings.CELERY_TASK_ALWAYS_EAGER:  # in-process (embedded default): no other executor to take it
            run_finish(
                run=self.run, status=RunStatus.FAILED, error=f"Database error: {error}", token=self.token
            )
            return "failed"
        logger.warning("%s: database error, handing the run to a new executor: %s", self.run.run_id, error)
        if self.heartbeat:
            self.heartbeat.stop()  # a late beat would make the run look owned to the next claim
        connection.close()
        from automation.tasks import resume_automation_task  # the tasks module imports this one

        try:
            released = AutomationRun.objects.filter(
                pk=self.run.pk, fencing_token=self.token, status=RunStatus.RUNNING
            ).update(heartbeat_at=None)
            if released:
                resume_automation_task.apply_async(args=[self.run.pk])
        except Exception:
            logger.warning("%s: hand-over failed; the watchdog will recover the run", self.run.run_id)
        return "handed_over"

    def run_exists(self) -> bool:
        return AutomationRun.objects.filter(pk=self.run.pk).exists()

    def gone(self) -> str:
        """The site was deleted with its runs: the run ends as cancelled, leaving no files or lock behind."""
        logger.info("%s: cancelled, its site was deleted; the executor stops", self.run.run_id)
        # A log line written just before the deletion may have re-created the directories.
        directory = run_log_dir(self.run)
        shutil.rmtree(directory, ignore_errors=True)
        with contextlib.suppress(OSError):  # the site's directory, unless another run of it has files
            directory.parent.rmdir()
        lock_release(site_id=self.run.site_id, run_id=self.run.run_id)
        return "cancelled"

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
        elif stage.min_batch > 1 and pending < stage.min_batch and not processed_before:
            skip_reason = f"needs at least {stage.min_batch} pending keywords; {pending} pending"
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
            if stage.function_name is None:
                self.review_gate(stage, result)
                credit_cap_hit = False
            else:
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

        cap = getattr(config, stage.cap_field) if stage.cap_field else None
        options = {"images_per_content": config.images_per_content} if stage.number == 5 else {}
        while True:
            self.check_control()
            if config.max_credits_per_run and self.run.total_credits_used >= config.max_credits_per_run:
                result.update(partial_reason="max_credits_per_run reached")
                return True
            size = config.batch_size(stage.number)
            if cap:
                size = min(size, cap - result[stage.processed_key])
                if size <= 0:
                    result["partial_reason"] = f"{stage.cap_field} reached"
                    return False
            batch = list(
                stage.pending(self.site).exclude(pk__in=attempted).values_list("pk", flat=True)[:size]
            )
            if not batch:
                return queue_done()
            if len(batch) < stage.min_batch:
                result["leftover"] = len(batch)
                self.log.info(
                    f"{len(batch)} keywords left: fewer than {stage.min_batch}, kept for later.",
                    stage=stage.number,
                )
                return queue_done()
            attempted.update(batch)
            self.show_batch(stage, batch, result, total)
            try:
                outcome = run_function(
                    stage.function_name,
                    {"ids": batch, **options},
                    account=self.site.account,
                    site=self.site,
                    automation_run_id=self.run.run_id,
                    stage=stage.number,
                    guard=self.guard,
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
                self.count(stage, result, outcome)
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
            if config.within_stage_delay:
                self.wait(config.within_stage_delay)

    def count(self, stage: Stage, result: dict, outcome) -> None:
        result["errors"] += len(outcome.errors)
        if stage.number == 1:
            result["batches_run"] += 1
            result[stage.processed_key] += outcome.details.get("keywords_mapped", 0)
        elif stage.number == 6:
            result[stage.processed_key] += outcome.processed + outcome.failed
            result["images_failed"] += outcome.failed
        else:
            result[stage.processed_key] += outcome.processed
        if stage.created_key:
            result[stage.created_key] += outcome.created
        if stage.number == 4:
            result["total_words"] += outcome.details.get("words", 0)

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

    def review_gate(self, stage: Stage, result: dict) -> None:
        with transaction.atomic():
            self.guard()
            ids = list(stage.pending(self.site).values_list("pk", flat=True))
            moved = Content.objects.filter(pk__in=ids, status=ContentStatus.DRAFT).update(
                status=ContentStatus.REVIEW
            )
        result[stage.processed_key] += moved
