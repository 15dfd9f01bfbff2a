"""The run loop: executes a claimed run stage by stage, batch by batch, until done, paused or cancelled."""

import collections
import contextlib
import itertools
import logging
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from queue import PriorityQueue

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from django.db.models import F
from django.utils import timezone

from ai.engine import BudgetExhausted, Pricing
from automation.dispatch import QUEUE_ERRORS, RESUME_TASK, enqueue
from automation.errors import Fenced
from automation.locks import lock_extend, lock_release, lock_release_if_ended
from automation.logger import AutomationLogger, run_log_dir
from automation.models import ACTIVE_STATUSES, AutomationConfig, AutomationRun, RunStatus
from automation.services.config import config_get_or_create
from automation.services.runs import run_count_credits, run_finish
from automation.sql import run_control
from automation.stages import STAGES, Batch, Stage
from billing.errors import InsufficientCredits
from billing.selectors import credits_used_by_run
from igny8.errors import ApplicationError

logger = logging.getLogger(__name__)
MAX_CONSECUTIVE_FAILED_BATCHES = 3
PREFETCH = 100  # pending rows read at a time
ARRANGED_PAGE = 1000  # rows read at a time by a stage that reorders them (stage 1 groups alike keywords)
PROGRESS_SECONDS = 0.5  # how often the run's result and in-flight items are written while a stage works
COMMIT_BACKLOG = 3  # batches in flight, answered or not, per batch allowed to be calling


class StageFailed(Exception):
    pass


class Stop(Exception):
    """The run was paused or cancelled: leave the loop, keeping what was done."""


class Yielded(Stop):
    """The run used up its time slice: it queued itself again and leaves its worker to other sites."""


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
        # Delivered again after its executor died: if that was between ending the run and releasing
        # the site lock, the lock is released here.
        ended = AutomationRun.objects.filter(pk=run_pk).values("site_id", "run_id").first()
        if ended:
            lock_release_if_ended(**ended)
        return "not_claimed"
    run = AutomationRun.objects.select_related("site__account").get(pk=run_pk)
    hold_site_lock(run)
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
        executor.pipeline.close()
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
        self.budget: RunBudget
        self.started = time.monotonic()
        self.pipeline = _CallPipeline()

    # Ownership and control ---------------------------------------------------------------------

    def guard(self, credits: int = 0) -> None:
        """Inside an item's transaction: refuse the commit unless this executor still owns an active run.

        One UPDATE locks the run's row (as a pause, cancel or takeover does) and counts the item's
        credits against the run, refusing with BudgetExhausted those that would pass its cap.
        """
        cap = self.budget.cap if credits else None
        if not run_count_credits(run_pk=self.run.pk, token=self.token, credits=credits, cap=cap):
            if cap is not None and self.owns_active_run():
                raise BudgetExhausted()
            raise Fenced()
        self.budget.spent_more(credits)

    def owns_active_run(self) -> bool:
        status, token = run_control(run_pk=self.run.pk) or (None, None)
        return token == self.token and status in ACTIVE_STATUSES

    def check_control(self, before_stop: Callable[[], None] | None = None) -> None:
        """Between batches: go on while running; raise Stop when paused or cancelled, Fenced when replaced.

        `before_stop` runs before the run is handed back (e.g. to let batches in flight commit).
        """
        if self.heartbeat and self.heartbeat.fenced.is_set():
            raise Fenced()
        while True:
            row = run_control(run_pk=self.run.pk)
            if row is None:
                raise RunGone()
            status, token = row
            if token != self.token:
                raise Fenced()
            if status == RunStatus.RUNNING:
                return
            if before_stop is not None:
                before_stop()
                before_stop = None
                continue  # the batches took time: read the status again
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

    def yield_when_slice_is_used(self, before_yield: Callable[[], None]) -> None:
        """Between batches: after AUTOMATION_SLICE_SECONDS, queue the run again and leave the worker."""
        if (
            settings.CELERY_TASK_ALWAYS_EAGER
            or time.monotonic() - self.started < settings.AUTOMATION_SLICE_SECONDS
        ):
            return
        before_yield()
        if self.heartbeat:
            self.heartbeat.stop()  # a beat after the hand-back would keep the next executor out
        handed_back = AutomationRun.objects.filter(
            pk=self.run.pk, fencing_token=self.token, status=RunStatus.RUNNING
        ).update(heartbeat_at=None, current_batch={})
        if not handed_back:
            return  # paused, cancelled or taken over meanwhile: the control check decides
        try:
            enqueue(RESUME_TASK, run_pk=self.run.pk)
        except QUEUE_ERRORS as error:
            # The watchdog hands a silent run to a worker again once it is stale.
            logger.warning("%s: could not queue the next slice (%s)", self.run.run_id, error)
        raise Yielded()

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
            self.budget = RunBudget(spent=self.run.total_credits_used, cap=config.max_credits_per_run)
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
        except Yielded:
            self.log.info(
                "Executor yields its worker; the run continues from the queue.", stage=self.run.current_stage
            )
            return "yielded"
        except Stop:
            return self.stopped()
        except RunGone:
            return self.gone()
        except Fenced:
            row = run_control(run_pk=self.run.pk)
            if row is None:
                return self.gone()
            if row[1] == self.token:  # not replaced: the run was cancelled under its commits in flight
                return self.stopped()
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

    def stopped(self) -> str:
        with contextlib.suppress(IntegrityError):  # its site may be going: the run row with it
            self.log.info("Executor stopped: the run is no longer running.", stage=self.run.current_stage)
        # Checked after the log line, which may have re-created files that the deletion removed.
        return "stopped" if self.run_exists() else self.gone()

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
        try:
            released = AutomationRun.objects.filter(
                pk=self.run.pk, fencing_token=self.token, status=RunStatus.RUNNING
            ).update(heartbeat_at=None)
            if released:
                enqueue(RESUME_TASK, run_pk=self.run.pk)
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
        """The stage's result with its credits as the ledger has them (any executor's, any batch's)."""
        # total_credits_used is counted by each charge's own transaction (RunBudget.spend).
        spent = credits_used_by_run(automation_run_id=self.run.run_id)
        result["credits_used"] = spent.get(stage.number, 0)
        self.show_result(stage, result)

    def show_result(self, stage: Stage, result: dict) -> None:
        """The stage's result so far, its credits counted from the batches settled (a progress write)."""
        self.update_run(**{f"stage_{stage.number}_result": result})

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
        result["credits_used"] = credits_used_by_run(automation_run_id=self.run.run_id).get(stage.number, 0)
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

    def batches_in_flight(self, stage: Stage, config: AutomationConfig) -> int:
        """How many batches of `stage` may be waiting for or making their calls at once.

        With no delay between batches, an AI stage keeps up to AI_CONCURRENCY calls in flight across
        consecutive batches (each batch still commits item by item), and a quarter as many batches
        more, prepared and waiting for a call thread: when a call returns, the next one goes out
        while the answer is committed. A delay, a local stage or the embedded SQLite database (one
        writer at a time) means one batch at a time.
        """
        if (
            config.within_stage_delay
            or stage.function_name is None
            or connection.vendor == "sqlite"
            or connection.in_atomic_block  # other threads could not see the caller's uncommitted rows
        ):
            return 1
        calls = max(1, settings.AI_CONCURRENCY)
        return calls + max(1, calls // 4)

    def run_batches(
        self, stage: Stage, config: AutomationConfig, result: dict, *, total: int, elapsed
    ) -> bool:
        """Process the stage's queue batch by batch; returns True when the run's credit cap was reached.

        Pause and cancel are checked before each batch starts: batches already in flight finish and
        commit (a cancelled run's guard refuses their commits), then the executor stops.

        A batch frees its place among those calling once its calls have answered, not once its
        answers are committed: the next call need not wait for the commits queued before it. Answers
        waiting for their commits are bounded too (COMMIT_BACKLOG times as many batches).
        """
        cap, size, options = stage.cap(config), stage.batch_size(config), stage.options(config)
        in_flight_limit = self.batches_in_flight(stage, config)
        backlog_limit = in_flight_limit * COMMIT_BACKLOG
        pricing = Pricing.read(stage.function_name) if stage.function_name else None
        state = _StageState()
        queue = _PendingQueue(
            stage,
            self.site,
            run_id=self.run.run_id,
            prefetch=ARRANGED_PAGE if stage.arrange else max(PREFETCH, (size or 0) * in_flight_limit * 2),
        )
        in_flight: dict[Future, list] = {}  # each batch's outcome (its commits done) -> its rows
        calling: set[Future] = set()  # done once all of a batch's calls have answered
        progress = _Every(PROGRESS_SECONDS)

        def show_in_flight(*, now: bool = False) -> None:
            if now or progress.due("batch"):
                self.show_batch(stage, [row for rows in in_flight.values() for row in rows], result, total)

        def settle(done) -> None:
            for future in done:
                batch = [row.pk for row in in_flight.pop(future)]
                try:
                    outcome = future.result()
                except InsufficientCredits as error:
                    state.out_of_credits = state.out_of_credits or error
                    continue
                except Fenced:
                    state.fenced = True
                    continue
                except ApplicationError as error:
                    outcome = None
                    state.last_error = error.message
                    result["errors"] += 1
                    self.log.warning(f"Batch refused: {error.message}", stage=stage.number, ids=batch)
                self.tally(stage, result, outcome, state)
                elapsed()
                self.log.info(
                    f"Processed {result[stage.processed_key]}/{total}.",
                    stage=stage.number,
                    event="stage_item_processed",
                    ids=batch,
                    processed=result[stage.processed_key],
                )
            if progress.due("result"):
                self.show_result(stage, result)
            show_in_flight()
            if state.out_of_credits:
                error = state.out_of_credits
                raise InsufficientCredits(
                    required=error.required,
                    available=error.available,
                    message=f"Stage {stage.number} ran out of credits: {error.message}",
                )
            if state.fenced:
                raise Fenced()
            if state.failed_in_a_row >= MAX_CONSECUTIVE_FAILED_BATCHES:
                raise StageFailed(
                    f"Stage {stage.number} ({stage.name}) stopped after {state.failed_in_a_row} failed "
                    f"batches in a row; last error: {state.last_error}"
                )

        def drain() -> None:
            while in_flight:
                settle(wait(in_flight, return_when=FIRST_COMPLETED).done)

        def wait_for_room() -> None:
            """Until fewer batches are calling than allowed and the commit backlog has room."""
            settle([future for future in in_flight if future.done()])
            calling.difference_update([future for future in calling if future.done()])
            while len(calling) >= in_flight_limit or len(in_flight) >= backlog_limit:
                done = wait([*calling, *in_flight], return_when=FIRST_COMPLETED).done
                calling.difference_update(done)
                settle([future for future in done if future in in_flight])

        def next_batch() -> list | None:
            """The next batch to start, or None when the stage should stop starting batches."""
            if state.capped or self.budget.exhausted:
                state.capped = True
                result.update(partial_reason="max_credits_per_run reached")
                return None
            limit = size
            if cap:
                limit = min(
                    limit or cap, cap - result[stage.processed_key] - sum(map(len, in_flight.values()))
                )
                if limit <= 0:
                    result["partial_reason"] = f"{stage.cap_field} reached"
                    return None
            batch = queue.take(limit)
            if batch and len(batch) < stage.min_batch:
                if not in_flight:
                    result["leftover"] = len(batch)
                    leftover = f"{len(batch)} {stage.items_name} left"
                    self.log.info(
                        f"{leftover}: fewer than {stage.min_batch}, kept for later.", stage=stage.number
                    )
                return None
            return batch or None

        try:
            while True:
                batch = next_batch()
                if batch is None:
                    if not in_flight:
                        break
                    settle(wait(in_flight, return_when=FIRST_COMPLETED).done)
                    continue
                # Checked when a batch is about to start, not each time one settles: a batch taken
                # from the queue and not started stays pending, for the run's next executor.
                self.check_control(before_stop=drain)
                self.yield_when_slice_is_used(before_yield=drain)
                if state.started and config.within_stage_delay:
                    self.wait(config.within_stage_delay)
                state.started = True
                job = Batch(
                    site=self.site,
                    ids=[row.pk for row in batch],
                    rows=batch,
                    options=options,
                    run_id=self.run.run_id,
                    stage=stage.number,
                    guard=self.guard,
                    budget=self.budget,
                    pricing=pricing,
                )
                if in_flight_limit == 1:
                    done = called = _run_here(stage.process, job)
                else:
                    started = _PipelinedBatch(self.pipeline, stage, job)
                    done, called = started.future, started.called
                in_flight[done] = batch
                calling.add(called)
                show_in_flight(now=len(in_flight) == 1)
                wait_for_room()
        except BaseException:
            drain_quietly(in_flight)
            raise
        if state.started and not state.succeeded:
            raise StageFailed(
                f"Stage {stage.number} ({stage.name}) failed: no batch succeeded; {state.last_error}"
            )
        return state.capped

    def tally(self, stage: Stage, result: dict, outcome, state: "_StageState") -> None:
        if outcome is not None:
            result["errors"] += len(outcome.errors)
            result["credits_used"] += outcome.credits_used
            stage.tally(result, outcome, stage)
            if stage.created_key:
                result[stage.created_key] += outcome.created
            if outcome.capped:
                state.capped = True
                result["partial_reason"] = "max_credits_per_run reached"
            if outcome.errors:
                state.last_error = outcome.errors[-1]["error"]
                for item in outcome.errors:
                    self.log.error(
                        f"Item {item['ids']} failed: {item['error']}", stage=stage.number, ids=item["ids"]
                    )
        batch_failed = outcome is None or (outcome.processed == 0 and outcome.failed > 0)
        state.succeeded = state.succeeded or not batch_failed
        state.failed_in_a_row = state.failed_in_a_row + 1 if batch_failed else 0

    def show_batch(self, stage: Stage, items: list, result: dict, total: int) -> None:
        self.update_run(
            current_batch={
                "stage": stage.number,
                "total": total,
                "processed": result[stage.processed_key],
                "in_flight": [{"id": item.pk, "label": stage.label(item)} for item in items],
            }
        )


@dataclass
class _StageState:
    started: bool = False
    succeeded: bool = False
    failed_in_a_row: int = 0
    last_error: str = ""
    capped: bool = False
    fenced: bool = False
    out_of_credits: InsufficientCredits | None = None


class _PendingQueue:
    """The stage's pending rows in id order, read a page at a time past the last row handed out.

    A row handed out is never handed out again in this pass, even if it stays pending (its call
    failed): the next run, or the next pass after a resume, tries it again.
    """

    def __init__(self, stage: Stage, site, *, run_id: str, prefetch: int):
        self.stage, self.site, self.run_id, self.prefetch = stage, site, run_id, prefetch
        self.rows: collections.deque = collections.deque()
        self.last_pk = 0
        self.exhausted = False

    def take(self, limit: int | None) -> list:
        if len(self.rows) < (limit or 1) or limit is None:
            self._read(everything=limit is None)
        count = len(self.rows) if limit is None else min(limit, len(self.rows))
        return [self.rows.popleft() for _ in range(count)]

    def _read(self, *, everything: bool) -> None:
        if self.exhausted:
            return
        page = self.stage.pending(self.site).filter(pk__gt=self.last_pk)
        rows = list(page if everything else page[: self.prefetch])
        if rows:
            self.last_pk = rows[-1].pk
            if self.stage.arrange:
                rows = self.stage.arrange(rows, site=self.site, run_id=self.run_id, stage=self.stage.number)
            self.rows.extend(rows)
        self.exhausted = everything or len(rows) < self.prefetch


class _Every:
    """True at most once per `seconds` for each name: for progress writes that may lag a little."""

    def __init__(self, seconds: float):
        self.seconds, self.last = seconds, {}

    def due(self, name: str) -> bool:
        now = time.monotonic()
        if now - self.last.get(name, -self.seconds) >= self.seconds:
            self.last[name] = now
            return True
        return False


def _run_here(process, job: Batch) -> Future:
    """One batch at a time: run it in the executor's own thread (and database connection)."""
    future = Future()
    try:
        future.set_result(process(job))
    except Exception as error:
        future.set_exception(error)
    return future


def database_threads_per_run() -> int:
    """The threads of a run that prepare its batches and commit its answers, each with a connection."""
    return max(2, settings.AI_CONCURRENCY // 4)


def connections_per_run() -> int:
    """Database connections a running run holds: its database threads, its executor, its heartbeat."""
    return database_threads_per_run() + 2


def connection_shortfall(*, worker_threads: int, max_connections: int) -> str | None:
    """Why a worker whose threads all run runs could exhaust PostgreSQL's connections, or None."""
    needed = worker_threads * connections_per_run()
    if needed <= max_connections:
        return None
    return (
        f"this worker's {worker_threads} threads may hold {needed} database connections "
        f"({connections_per_run()} per run at AI_CONCURRENCY={settings.AI_CONCURRENCY}), and PostgreSQL "
        f"allows {max_connections} in all (max_connections): lower the worker's -c or AI_CONCURRENCY, "
        "or raise max_connections; a run that cannot connect is handed to another executor, later"
    )


class _DatabaseThreads:
    """A run's threads with database connections, kept from stage to stage, each closing its own.

    Preparing a batch goes before any commit waiting: a call thread may be idle until the batch is
    ready, while a commit that waits a little delays nothing else.
    """

    PREPARE, COMMIT, STOP = 0, 1, 2

    def __init__(self, count: int):
        self.queue: PriorityQueue = PriorityQueue()
        self.order = itertools.count()  # first in, first out within a priority
        self.threads = [
            threading.Thread(target=self.serve, name=f"batch-database-{number}", daemon=True)
            for number in range(count)
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, priority: int, work: Callable, *args) -> None:
        self.queue.put((priority, next(self.order), work, args))

    def serve(self) -> None:
        try:
            while True:
                _, _, work, args = self.queue.get()
                if work is None:
                    return
                try:
                    work(*args)
                except Exception:  # the work reports its own errors to its batch: this is a bug
                    logger.exception("batch database work failed")
        finally:
            connection.close()

    def close(self) -> None:
        """After the work already submitted."""
        for _ in self.threads:
            self.submit(self.STOP, None)
        for thread in self.threads:
            thread.join()


class _CallPipeline:
    """The run's threads for concurrent AI batches, kept from stage to stage.

    A few threads with database connections prepare batches and commit answers; AI_CONCURRENCY
    threads without one wait on the provider. A thread that made its call and then committed would
    hold a connection idle through every call: a run's connections would grow with AI_CONCURRENCY,
    and ten runs at 8 would pass PostgreSQL's default of 100. The database threads keep their
    connections for the run: a new one per stage is a new PostgreSQL backend, which costs more
    than a small stage's own work.
    """

    def __init__(self):
        self.database: _DatabaseThreads | None = None
        self.calls: ThreadPoolExecutor | None = None

    def on_database(self, priority: int, work: Callable, *args) -> None:
        if self.database is None:
            self.database = _DatabaseThreads(database_threads_per_run())
            self.calls = ThreadPoolExecutor(
                max_workers=max(1, settings.AI_CONCURRENCY), thread_name_prefix="batch-call"
            )
        self.database.submit(priority, work, *args)

    def close(self) -> None:
        if self.database is None:
            return
        self.database.close()
        self.calls.shutdown()
        self.database = self.calls = None


class _PipelinedBatch:
    """One AI batch through the pipeline: prepared, its units called, each answer committed in turn.

    `called` is done once every call has answered (or none will be made); `future` once every
    answer is committed, with the batch's FunctionResult. After a commit raises (out of credits,
    fenced), the batch's later answers are discarded uncommitted, as `run_function` cancels its
    remaining calls; the future then raises that error.
    """

    def __init__(self, pipeline: _CallPipeline, stage: Stage, job: Batch):
        self.pipeline, self.stage, self.job = pipeline, stage, job
        self.future: Future = Future()
        self.called: Future = Future()
        self.lock = threading.Lock()  # the batch's commits, one at a time: they share its result
        self.counting = threading.Lock()  # a call thread never waits on a commit
        self.error: BaseException | None = None
        self.remaining = self.unanswered = 0
        pipeline.on_database(_DatabaseThreads.PREPARE, self.start)

    def start(self) -> None:
        try:
            self.run = self.stage.start(self.job)
        except BaseException as error:
            self.called.set_result(None)
            self.future.set_exception(error)
            return
        if not self.run.units:
            self.called.set_result(None)
            self.future.set_result(self.run.result)
            return
        self.remaining = self.unanswered = len(self.run.units)
        for unit in self.run.units:
            self.pipeline.calls.submit(self.run.call, unit).add_done_callback(self.answered)

    def answered(self, call: Future) -> None:
        with self.counting:
            self.unanswered -= 1
            if not self.unanswered:
                self.called.set_result(None)
        self.pipeline.on_database(_DatabaseThreads.COMMIT, self.commit, call)

    def commit(self, call: Future) -> None:
        with self.lock:
            try:
                if self.error is None:
                    self.run.finish(call.result())
                else:
                    self.run.discard(call.result())
            except BaseException as error:
                self.error = self.error or error
            self.remaining -= 1
            if self.remaining:
                return
        if self.error is not None:
            self.future.set_exception(self.error)
        else:
            self.future.set_result(self.run.result)


def drain_quietly(in_flight: dict) -> None:
    """Let batches already started finish (their commits are guarded) before the executor leaves."""
    if in_flight:
        wait(in_flight)


class RunBudget:
    """What the run has spent, counted in the transaction of each charge, and its cap as a promise.

    A call starts only when its estimate fits what is left under `max_credits_per_run`; its commit
    adds the real cost to the run's `total_credits_used` with the guard's conditional UPDATE, which
    refuses to pass the cap, so a run never spends more than its cap, whatever runs concurrently.
    """

    def __init__(self, *, spent: int, cap: int | None):
        self.cap, self.spent, self.reserved = cap, spent, 0
        self.lock = threading.Lock()

    @property
    def exhausted(self) -> bool:
        return self.cap is not None and self.spent >= self.cap

    def reserve(self, credits: int) -> bool:
        with self.lock:
            if self.cap is not None and self.spent + self.reserved + credits > self.cap:
                return False
            self.reserved += credits
            return True

    def release(self, credits: int) -> None:
        with self.lock:
            self.reserved -= credits

    def spent_more(self, credits: int) -> None:
        """The run's guard counted `credits` in the database."""
        with self.lock:
            self.spent += credits
