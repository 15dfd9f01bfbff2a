"""One stage's pass over its queue: batches started while there is room, settled as they finish."""

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

from django.conf import settings

from ai.calls import FunctionResult
from ai.pricing import Pricing
from automation.engine.control import RunControl
from automation.engine.pending import PendingQueue, retry_ids
from automation.engine.sizing import batches_in_flight
from automation.errors import Fenced
from automation.failures import failures_record
from automation.logger import AutomationLogger
from automation.models import AutomationConfig
from automation.stages import Batch, Stage
from billing.errors import InsufficientCredits
from igny8.concurrency import CallPipeline
from igny8.errors import ApplicationError
from planner.selectors import site_with_settings

MAX_CONSECUTIVE_FAILED_BATCHES = 3
PREFETCH = 100  # pending rows read at a time
ARRANGED_PAGE = 1000  # rows read at a time by a stage that reorders them (stage 1 groups alike keywords)
COMMIT_BACKLOG = 3  # batches in flight, answered or not, per batch allowed to be calling


class StageFailed(Exception):
    pass


@dataclass
class StageState:
    started: bool = False
    succeeded: bool = False
    failed_in_a_row: int = 0
    last_error: str = ""
    capped: bool = False
    fenced: bool = False
    rate_limited: bool = False  # a call waited past AI_RATE_LIMIT_MAX_WAIT_SECONDS: the run pauses
    out_of_credits: InsufficientCredits | None = None


class Every:
    """True at most once per `seconds` for each name: for progress writes that may lag a little."""

    def __init__(self, seconds: float):
        self.seconds, self.last = seconds, {}

    def due(self, name: str) -> bool:
        now = time.monotonic()
        if now - self.last.get(name, -self.seconds) >= self.seconds:
            self.last[name] = now
            return True
        return False


class StageLoop:
    """Processes a stage's queue batch by batch, several at once when the stage and the run allow.

    Pause and cancel are checked before each batch starts: batches already in flight finish and
    commit (a cancelled run's guard refuses their commits), then the executor stops.

    A batch frees its place among those calling once its calls have answered, not once its answers
    are committed: the next call need not wait for the commits queued before it. Answers waiting
    for their commits are bounded too (COMMIT_BACKLOG times as many batches).
    """

    def __init__(
        self,
        stage: Stage,
        config: AutomationConfig,
        result: dict,
        *,
        control: RunControl,
        log: AutomationLogger,
        pipeline: CallPipeline,
        show_result: Callable[[Stage, dict], None],
        total: int,
        elapsed: Callable[[], None],
    ):
        self.control, self.log, self.pipeline, self.show_result = control, log, pipeline, show_result
        self.run_id = control.run.run_id
        # Read afresh each stage: its batches share the site's settings and voice (one read).
        self.site = site_with_settings(site_id=control.run.site_id)
        self.stage, self.config, self.result, self.total, self.elapsed = stage, config, result, total, elapsed
        self.cap, self.size, self.options = stage.cap(config), stage.batch_size(config), stage.options(config)
        self.in_flight_limit = batches_in_flight(stage, config, pipeline)
        self.pricing = Pricing.read(stage.function_name) if stage.function_name else None
        self.state = StageState()
        prefetch = (
            ARRANGED_PAGE if stage.arrange else max(PREFETCH, (self.size or 0) * self.in_flight_limit * 2)
        )
        self.queue = PendingQueue(
            stage, self.site, run_id=self.run_id, prefetch=prefetch, only=retry_ids(control.run, stage)
        )
        self.in_flight: dict[Future, list] = {}  # each batch's outcome (its commits done) -> its rows
        self.calling: set[Future] = set()  # done once all of a batch's calls have answered
        self.progress = Every(settings.AUTOMATION_PROGRESS_SECONDS)

    def run(self) -> bool:
        """Until the queue is empty or the stage must stop; returns True when the run's credit cap was hit."""
        try:
            while True:
                if self.state.rate_limited:  # paused: stop once the batches in flight have settled
                    self.control.check(before_stop=self.drain)
                    self.state.rate_limited = False  # resumed already: the items put back go again
                batch = self.next_batch()
                if batch is None:
                    if not self.in_flight:
                        break
                    self.settle(wait(self.in_flight, return_when=FIRST_COMPLETED).done)
                    continue
                # Checked when a batch is about to start, not each time one settles: a batch taken
                # from the queue and not started stays pending, for the run's next executor.
                self.control.check(before_stop=self.drain)
                self.control.yield_when_slice_is_used(before_yield=self.drain)
                if self.state.started and self.config.within_stage_delay:
                    self.control.wait(self.config.within_stage_delay)
                self.start(batch)
                self.wait_for_room()
        except BaseException:
            if self.in_flight:  # let batches already started finish (their commits are guarded)
                wait(self.in_flight)
            raise
        if self.state.started and not self.state.succeeded:
            stage = self.stage
            raise StageFailed(
                f"Stage {stage.number} ({stage.name}) failed: no batch succeeded; {self.state.last_error}"
            )
        return self.state.capped

    def next_batch(self) -> list | None:
        """The next batch to start, or None when the stage should stop starting batches."""
        stage, result = self.stage, self.result
        if self.state.capped or self.control.budget.exhausted:
            self.state.capped = True
            result.update(partial_reason="max_credits_per_run reached")
            return None
        limit = self.size
        if self.cap:
            in_flight = sum(map(len, self.in_flight.values()))
            limit = min(limit or self.cap, self.cap - result[stage.processed_key] - in_flight)
            if limit <= 0:
                result["partial_reason"] = f"{stage.cap_field} reached"
                return None
        batch = self.queue.take(limit)
        if batch and len(batch) < stage.min_batch:
            if not self.in_flight:
                result["leftover"] = len(batch)
                leftover = f"{len(batch)} {stage.items_name} left"
                self.log.info(
                    f"{leftover}: fewer than {stage.min_batch}, kept for later.", stage=stage.number
                )
            return None
        return batch or None

    def start(self, rows: list) -> None:
        self.state.started = True
        batch = Batch(
            site=self.site,
            ids=[row.pk for row in rows],
            rows=rows,
            options=self.options,
            run_id=self.run_id,
            stage=self.stage.number,
            guard=self.control.guard,
            budget=self.control.budget,
            pricing=self.pricing,
        )
        submitted = self.pipeline.submit(self.stage.start(batch))
        self.in_flight[submitted.done] = rows
        self.calling.add(submitted.called)
        self.show_in_flight(now=len(self.in_flight) == 1)

    def wait_for_room(self) -> None:
        """Until fewer batches are calling than allowed and the commit backlog has room."""
        self.settle([future for future in self.in_flight if future.done()])
        self.calling.difference_update([future for future in self.calling if future.done()])
        backlog_limit = self.in_flight_limit * COMMIT_BACKLOG
        while len(self.calling) >= self.in_flight_limit or len(self.in_flight) >= backlog_limit:
            done = wait([*self.calling, *self.in_flight], return_when=FIRST_COMPLETED).done
            self.calling.difference_update(done)
            self.settle([future for future in done if future in self.in_flight])

    def drain(self) -> None:
        while self.in_flight:
            self.settle(wait(self.in_flight, return_when=FIRST_COMPLETED).done)

    def settle(self, done) -> None:
        """Count the finished batches into the result, then stop the stage if one of them says so."""
        for future in done:
            self.settle_one(future, self.in_flight.pop(future))
        if self.progress.due("result"):
            self.show_result(self.stage, self.result)
        self.show_in_flight()
        self.raise_when_the_stage_must_stop()

    def settle_one(self, future: Future, rows: list) -> None:
        stage, result = self.stage, self.result
        ids = [row.pk for row in rows]
        try:
            outcome = future.result()
        except InsufficientCredits as error:
            self.state.out_of_credits = self.state.out_of_credits or error
            return
        except Fenced:
            self.state.fenced = True
            return
        except ApplicationError as error:
            outcome = None
            self.state.last_error = error.message
            result["errors"] += 1
            self.log.warning(f"Batch refused: {error.message}", stage=stage.number, ids=ids)
        self.tally(outcome)
        if outcome is not None and outcome.rate_limited:
            waited = set(outcome.rate_limited)
            self.queue.put_back([row for row in rows if row.pk in waited])
        self.elapsed()
        processed = result[stage.processed_key]
        self.log.info(
            f"Processed {processed}/{self.total}.",
            stage=stage.number,
            event="stage_item_processed",
            ids=ids,
            processed=processed,
        )

    def raise_when_the_stage_must_stop(self) -> None:
        stage, state = self.stage, self.state
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

    def tally(self, outcome: FunctionResult | None) -> None:
        stage, result, state = self.stage, self.result, self.state
        if outcome is not None:
            result["errors"] += len(outcome.errors)
            result["credits_used"] += outcome.credits_used
            stage.tally(result, outcome, stage)
            if stage.created_key:
                result[stage.created_key] += outcome.created
            if outcome.capped:
                state.capped = True
                result["partial_reason"] = "max_credits_per_run reached"
            if outcome.rate_limited and not state.rate_limited:
                state.rate_limited = True
                waited = f"{settings.AI_RATE_LIMIT_MAX_WAIT_SECONDS:.0f}s"
                self.log.warning(
                    f"{len(outcome.rate_limited)} item(s) waited past the provider's rate limit ({waited}); "
                    "they stay pending and the run pauses.",
                    stage=stage.number,
                )
                self.control.pause(reason="rate_limited")
            if outcome.errors:
                state.last_error = outcome.errors[-1]["error"]
                for item in outcome.errors:
                    self.log.error(
                        f"Item {item['ids']} failed: {item['error']}", stage=stage.number, ids=item["ids"]
                    )
                    failures_record(run=self.control.run, stage=stage, ids=item["ids"], error=item["error"])
        batch_failed = outcome is None or (outcome.processed == 0 and outcome.failed > 0)
        state.succeeded = state.succeeded or not batch_failed
        state.failed_in_a_row = state.failed_in_a_row + 1 if batch_failed else 0

    def show_in_flight(self, *, now: bool = False) -> None:
        if not (now or self.progress.due("batch")):
            return
        items = [row for rows in self.in_flight.values() for row in rows]
        self.control.update_run(
            current_batch={
                "stage": self.stage.number,
                "total": self.total,
                "processed": self.result[self.stage.processed_key],
                "in_flight": [{"id": item.pk, "label": self.stage.label(item)} for item in items],
            }
        )
