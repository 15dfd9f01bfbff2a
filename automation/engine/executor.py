"""The run from its first stage to its end: stage by stage, and every way an executor can end."""

import contextlib
import logging
import shutil
import time

from django.db import IntegrityError, InterfaceError, OperationalError, connection

from automation.budgets import budget_events, budget_pause_reason, run_cap
from automation.dispatch import enqueue
from automation.engine.budget import RunBudget
from automation.engine.control import RunControl, RunGone, Stop, Yielded
from automation.engine.heartbeat import Heartbeat
from automation.engine.pending import run_pending
from automation.engine.stage_loop import StageFailed, StageLoop
from automation.errors import Fenced
from automation.failures import failures_resolve
from automation.locks import lock_release
from automation.logger import AutomationLogger, run_log_dir
from automation.models import AutomationConfig, AutomationRun, RunStatus
from automation.services.config import config_get_or_create
from automation.services.control import run_pause
from automation.services.runs import run_finish
from automation.sql import run_control
from automation.stages import STAGES, Stage
from automation.task_names import RESUME_TASK
from billing.errors import InsufficientCredits
from billing.selectors import credits_used_by_run
from igny8.capabilities import capabilities
from igny8.concurrency import CallPipeline
from igny8.errors import InvalidTransition

logger = logging.getLogger(__name__)


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class RunExecutor:
    """Executes a claimed run until it completes, fails, stops (pause, cancel, time slice) or is fenced."""

    def __init__(
        self, run: AutomationRun, token: int, *, heartbeat: Heartbeat | None, pipeline: CallPipeline
    ):
        self.run, self.token, self.pipeline = run, token, pipeline
        self.site = run.site
        self.log = AutomationLogger(run)
        self.in_process = capabilities().tasks_in_process  # no other executor exists to take the run
        self.control = RunControl(run, token, heartbeat=heartbeat, budget=None, yields=not self.in_process)
        self.monthly_cap = False  # True when the site's monthly budget, not the run's cap, binds

    def execute(self) -> str:
        try:
            self.control.check()
            config = config_get_or_create(site=self.site)
            cap, self.monthly_cap = run_cap(config=config, run_spent=self.run.total_credits_used)
            self.control.budget = RunBudget(spent=self.run.total_credits_used, cap=cap)
            self.run_stages(config)
            failures_resolve(site=self.site)  # items this run processed are no longer failed
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
            return self.fenced()
        except (InsufficientCredits, StageFailed) as error:
            message = error.message if isinstance(error, InsufficientCredits) else str(error)
            run_finish(run=self.run, status=RunStatus.FAILED, error=message, token=self.token)
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

    def run_stages(self, config: AutomationConfig) -> None:
        """From the run's current stage to the last; once the credit cap is hit, the rest are skipped."""
        if self.run.current_stage == 1 and self.run.stage_1_result is None:
            self.log.info(f"Executor started (token {self.token}).", event="executor_start")
        else:
            self.log.info(f"Executor continues from stage {self.run.current_stage} (token {self.token}).")
        credit_cap_hit = False
        for position, stage in enumerate(STAGES[self.run.current_stage - 1 :]):
            self.control.update_run(current_stage=stage.number)
            if credit_cap_hit:
                skipped = {**stage.empty_result(), "skipped": True, "reason": "max_credits_per_run reached"}
                self.save_result(stage, skipped)
                continue
            if position and config.between_stage_delay:
                self.control.wait(config.between_stage_delay)
            credit_cap_hit = self.run_stage(stage, config)
            budget_events(config=config, exhausted=credit_cap_hit and self.monthly_cap)
            if credit_cap_hit and self.monthly_cap:
                self.pause_for_budget(stage)

    def run_stage(self, stage: Stage, config: AutomationConfig) -> bool:
        """Run one stage to the end of its queue; returns True when the run's credit cap was reached."""
        previous = self.run.stage_result(stage.number)
        result = dict(previous) if previous else stage.empty_result()
        result.pop("partial", None)
        seconds_before, started = result.get("seconds", 0.0), time.monotonic()
        pending = run_pending(stage, self.run).count()
        processed_before = result[stage.processed_key]

        def elapsed() -> None:
            result["seconds"] = round(seconds_before + time.monotonic() - started, 3)
            result["time_elapsed"] = format_elapsed(result["seconds"])

        skip_reason = self.skip_reason(stage, pending=pending, processed_before=processed_before)
        if self.run.item_filter and str(stage.number) not in self.run.item_filter:
            skip_reason = "not part of this retry"
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
        loop = StageLoop(
            stage,
            config,
            result,
            control=self.control,
            log=self.log,
            pipeline=self.pipeline,
            show_result=self.show_result,
            total=processed_before + pending,
            elapsed=elapsed,
        )
        try:
            credit_cap_hit = loop.run()
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

    def pause_for_budget(self, stage: Stage) -> None:
        """The month's budget is spent: pause (reason `budget`) keeping what was done, then stop."""
        self.log.info(budget_pause_reason(), stage=stage.number, event="run_paused")
        result = dict(self.run.stage_result(stage.number) or stage.empty_result())
        result.update(partial=True, partial_reason="monthly_credit_budget reached")
        self.save_result(stage, result)
        with contextlib.suppress(InvalidTransition):  # paused or cancelled meanwhile: that stands
            run_pause(run=self.run, reason="budget")
        raise Stop()

    @staticmethod
    def skip_reason(stage: Stage, *, pending: int, processed_before: int) -> str | None:
        if processed_before:
            return None
        if pending == 0:
            return "nothing pending"
        if pending < stage.min_batch:
            return f"needs at least {stage.min_batch} pending {stage.items_name}; {pending} pending"
        return None

    def save_result(self, stage: Stage, result: dict) -> None:
        """The stage's result with its credits as the ledger has them (any executor's, any batch's)."""
        # total_credits_used is counted by each charge's own transaction (the control's guard).
        spent = credits_used_by_run(automation_run_id=self.run.run_id)
        result["credits_used"] = spent.get(stage.number, 0)
        self.show_result(stage, result)

    def show_result(self, stage: Stage, result: dict) -> None:
        """The stage's result so far, its credits counted from the batches settled (a progress write)."""
        self.control.update_run(**{f"stage_{stage.number}_result": result})

    # How an executor ends -----------------------------------------------------------------------

    def stopped(self) -> str:
        with contextlib.suppress(IntegrityError):  # its site may be going: the run row with it
            self.log.info("Executor stopped: the run is no longer running.", stage=self.run.current_stage)
        # Checked after the log line, which may have re-created files that the deletion removed.
        return "stopped" if self.run_exists() else self.gone()

    def fenced(self) -> str:
        row = run_control(run_pk=self.run.pk)
        if row is None:
            return self.gone()
        if row[1] == self.token:  # not replaced: the run was cancelled under its commits in flight
            return self.stopped()
        logger.info("%s: executor fenced out (token %s)", self.run.run_id, self.token)
        return "fenced"

    def hand_over(self, error: Exception) -> str:
        """The database connection failed under the executor: give the run to a fresh executor at once.

        Nothing of the item in flight committed, so the next executor simply processes it again. If the
        database is still away, the heartbeat goes stale and the watchdog hands the run over later.
        """
        if self.in_process:  # the embedded default: no other executor to take it
            run_finish(
                run=self.run, status=RunStatus.FAILED, error=f"Database error: {error}", token=self.token
            )
            return "failed"
        logger.warning("%s: database error, handing the run to a new executor: %s", self.run.run_id, error)
        if self.control.heartbeat:
            self.control.heartbeat.stop()  # a late beat would make the run look owned to the next claim
        connection.close()
        try:
            released = AutomationRun.objects.filter(
                pk=self.run.pk, fencing_token=self.token, status=RunStatus.RUNNING
            ).update(heartbeat_at=None)
            if not released:
                # Cancelled, paused, taken over or deleted with its site (a commit in flight can lose a
                # deadlock to that deletion): end as the run's state says, leaving no files or lock.
                return self.fenced()
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
