"""What the executor checks between batches and inside each commit: who owns the run, and its status."""

import contextlib
import logging
import time
from collections.abc import Callable

from django.conf import settings

from ai.calls import BudgetExhausted
from automation.dispatch import QUEUE_ERRORS, enqueue
from automation.engine.budget import RunBudget
from automation.engine.heartbeat import Heartbeat
from automation.errors import Fenced
from automation.models import ACTIVE_STATUSES, AutomationRun, RunStatus
from automation.services.control import run_pause
from automation.services.runs import run_count_credits
from automation.sql import run_control
from automation.task_names import RESUME_TASK
from igny8.errors import ApplicationError

logger = logging.getLogger(__name__)


class Stop(Exception):
    """The run was paused or cancelled: leave the loop, keeping what was done."""


class Yielded(Stop):
    """The run used up its time slice: it queued itself again and leaves its worker to other sites."""


class RunGone(Exception):
    """The run's row is gone (its site was deleted): stop, writing nothing more for it."""


class RunControl:
    """The executor's hold on its run: the fencing token, the heartbeat, the status and the budget."""

    def __init__(
        self,
        run: AutomationRun,
        token: int,
        *,
        heartbeat: "Heartbeat | None",
        budget: RunBudget,
        yields: bool,
    ):
        self.run, self.token, self.heartbeat, self.budget = run, token, heartbeat, budget
        self.yields = yields  # False in-process: there is no queue to hand the run back to
        self.started = time.monotonic()

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

    def check(self, before_stop: Callable[[], None] | None = None) -> None:
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
                if not self.hand_back(status=RunStatus.PAUSED):
                    continue  # resumed in between: carry on
            else:
                self.hand_back()
            raise Stop()

    def hand_back(self, *, status: str | None = None) -> bool:
        """Leave the run claimable by the next executor; only while it has `status`, when given."""
        runs = AutomationRun.objects.filter(pk=self.run.pk, fencing_token=self.token)
        if status is not None:
            runs = runs.filter(status=status)
        return bool(runs.update(heartbeat_at=None, current_batch={}))

    def pause(self, *, reason: str) -> None:
        """Pause the run as a user would (the pause service), saying why; the next check stops it."""
        # Cancelled, paused or gone meanwhile: the next check decides.
        with contextlib.suppress(AutomationRun.DoesNotExist, ApplicationError):
            run_pause(run=AutomationRun.objects.get(pk=self.run.pk), reason=reason)

    def yield_when_slice_is_used(self, before_yield: Callable[[], None]) -> None:
        """Between batches: after AUTOMATION_SLICE_SECONDS, queue the run again and leave the worker."""
        if not self.yields or time.monotonic() - self.started < settings.AUTOMATION_SLICE_SECONDS:
            return
        before_yield()
        if self.heartbeat:
            self.heartbeat.stop()  # a beat after the hand-back would keep the next executor out
        if not self.hand_back(status=RunStatus.RUNNING):
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
            self.check()

    def update_run(self, **fields) -> None:
        if not AutomationRun.objects.filter(pk=self.run.pk, fencing_token=self.token).update(**fields):
            raise Fenced()
        for name, value in fields.items():
            setattr(self.run, name, value)
