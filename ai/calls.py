"""One AI function's provider calls and their commits: what each call came to, and how it is saved."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction

from ai.errors import AIError, RateLimitWaitExceeded
from ai.functions import AIFunction, Unit
from ai.model_prices import ModelPrices
from ai.models import AITaskLog
from ai.providers import GeneratedImage, Provider
from billing.errors import InsufficientCredits
from billing.selectors import CreditCostTable
from billing.services import Usage, credits_deduct
from igny8.sql import insert_row
from tenancy.models import Site

logger = logging.getLogger(__name__)


@dataclass
class FunctionResult:
    function: str
    requested: int = 0
    processed: int = 0
    created: int = 0
    skipped: int = 0
    failed: int = 0
    credits_used: int = 0
    capped: int = 0  # items left undone because the budget would not cover them
    # Ids of the items left pending: the provider's rate limit kept their call waiting too long.
    rate_limited: list[int] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "function": self.function,
            "requested": self.requested,
            "processed": self.processed,
            "created": self.created,
            "skipped": self.skipped,
            "failed": self.failed,
            "credits_used": self.credits_used,
            **self.details,
            "errors": self.errors,
        }


class Budget(Protocol):
    """A cap on what a group of calls may spend (a run's `max_credits_per_run`).

    The real cost is counted by the caller's guard, inside each call's commit.
    """

    def reserve(self, credits: int) -> bool:
        """Before a call: hold its estimated cost; False when that would pass the cap (no call is made)."""

    def release(self, credits: int) -> None:
        """After a call: drop its hold (its real cost is counted by the guard, or nothing)."""


class BudgetExhausted(Exception):
    """Committing this call would pass the cap: nothing of it is saved or charged."""


@dataclass(frozen=True)
class CallOutcome:
    """What one unit's provider call came to: `finish` commits it, `discard` drops it."""

    unit: Unit
    started: float  # time.monotonic() before the call
    answer: Any = None  # the provider's answer; None when the call failed or was not made
    error: str | None = None  # why the call failed
    hold: int = 0  # credits the call holds against the caller's budget until it is finished
    rate_limited: bool = False  # the rate limit kept the call waiting too long: its items stay pending

    @property
    def refused_by_budget(self) -> bool:
        return self.answer is None and self.error is None and not self.rate_limited


@dataclass
class FunctionCalls:
    """The provider calls of one `run_function` invocation: each unit's call, then its commit."""

    function: AIFunction
    options: dict
    site: Site
    provider: Provider
    model: str
    guard: Callable[[int], None] | None
    budget: Budget | None
    log_fields: dict
    costs: CreditCostTable
    prices: ModelPrices
    units: list[Unit]
    result: FunctionResult

    def call(self, unit: Unit) -> CallOutcome:
        """The provider call (no database work: any thread)."""
        started = time.monotonic()
        hold = 0
        if self.budget is not None:
            # From the table read in prepare(): this pool thread makes no database query.
            hold = self.costs.cost(
                self.function.operation_type, self.function.quantity(unit.items, self.options)
            )
            if not self.budget.reserve(hold):
                return CallOutcome(unit=unit, started=started)
        try:
            answer = self.function.call(self.provider, unit, self.model)
        except RateLimitWaitExceeded:
            # Not the item's failure: no retry was used, nothing is marked; the run pauses.
            return CallOutcome(unit=unit, started=started, hold=hold, rate_limited=True)
        except AIError as error:
            return CallOutcome(unit=unit, started=started, error=str(error), hold=hold)
        except Exception as error:  # a provider bug must not take the other calls down with it
            logger.exception("%s: unexpected provider error", self.function.name)
            return CallOutcome(
                unit=unit, started=started, error=f"Unexpected provider error: {error}", hold=hold
            )
        return CallOutcome(unit=unit, started=started, answer=answer, hold=hold)

    def finish(self, outcome: CallOutcome) -> None:
        """Commit (or record the failure of) one unit's call."""
        try:
            if outcome.error is not None:
                self.fail(outcome.unit, outcome.error, outcome.started)
            elif outcome.rate_limited:
                self.result.rate_limited.extend(outcome.unit.ids)
            elif outcome.refused_by_budget:
                self.result.capped += len(outcome.unit.items)
            else:
                self.commit(outcome.unit, outcome.answer, outcome.started)
        finally:
            self.discard(outcome)

    def discard(self, outcome: CallOutcome) -> None:
        """Drop the call's hold on the budget; an answer not finished leaves its items pending."""
        if self.budget is not None and outcome.hold:
            self.budget.release(outcome.hold)

    def fail(self, unit: Unit, error: str, started: float, *, answer=None, final: bool = True) -> None:
        if final and self.function.on_failure:
            self.function.on_failure(unit.ids, error)
        self.result.failed += 1
        self.result.errors.append({"ids": unit.ids, "error": error})
        insert_row(
            AITaskLog,
            **self.log_fields,
            status=AITaskLog.Status.FAILED,
            model=getattr(answer, "model", self.model),
            tokens_in=getattr(answer, "tokens_in", 0),
            tokens_out=getattr(answer, "tokens_out", 0),
            duration_ms=int((time.monotonic() - started) * 1000),
            items=unit.ids,
            error=error,
        )

    def commit(self, unit: Unit, answer, started: float) -> None:
        """Save the answer, log it, count it against the caller's guard and charge it: one transaction.

        The function's `before_save` (an embedding call) runs first, outside that transaction.
        """
        try:
            checked = None
            if self.function.before_save is not None:
                checked = self.function.before_save(
                    answer,
                    site=self.site,
                    options=self.options,
                    automation_run_id=self.log_fields["automation_run_id"],
                    stage=self.log_fields["stage"],
                )
            with transaction.atomic():
                # The rows still eligible, locked: a repeated or overtaken call finds none and saves nothing.
                rows = self.function.locked(site=self.site, ids=unit.ids)
                saved = self.function.save(
                    rows, answer, site=self.site, options=self.options, unit_input=unit.input, checked=checked
                )
                if saved is None:
                    self.result.skipped += 1
                    return
                credits = self.charge(
                    unit, answer, started, quantities=(saved.quantity, *saved.replaced_quantities)
                )
        except AIError as error:
            self.fail(unit, str(error), started, answer=answer)
            return
        except BudgetExhausted:
            # The answer was paid for by the provider, not by the customer: the cap is a promise.
            self.result.capped += len(unit.items)
            return
        except InsufficientCredits as error:
            self.fail(unit, error.message, started, answer=answer, final=False)
            raise
        result = self.result
        result.processed += len(unit.items)
        result.created += saved.created
        result.credits_used += credits
        for key, value in saved.details.items():
            result.details[key] = result.details.get(key, 0) + value

    def charge(self, unit: Unit, answer, started: float, *, quantities: tuple[int, ...]) -> int:
        """Inside the commit: the success log, the guard, then the deduction; returns the credits.

        Each quantity is priced on its own (a regenerated article costs as the two articles would).
        """
        function, site = self.function, self.site
        tokens_in, tokens_out = getattr(answer, "tokens_in", 0), getattr(answer, "tokens_out", 0)
        model = getattr(answer, "model", "")
        images = int(isinstance(answer, GeneratedImage))
        cost_usd = self.prices.cost(model, tokens_in=tokens_in, tokens_out=tokens_out, images=images)
        credits = sum(self.costs.cost(function.operation_type, quantity) for quantity in quantities)
        insert_row(
            AITaskLog,
            **self.log_fields,
            status=AITaskLog.Status.SUCCESS,
            model=model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost_usd,
            credits_used=credits,
            duration_ms=int((time.monotonic() - started) * 1000),
            items=unit.ids,
        )
        # Last: the run's row and the account's row are shared by every concurrent commit.
        if self.guard is not None:
            self.guard(credits)
        if credits:
            credits_deduct(
                account=self.log_fields["account"],
                amount=credits,
                operation_type=function.operation_type,
                description=f"{function.name} on {len(unit.items)} item(s)",
                site=site,
                automation_run_id=self.log_fields["automation_run_id"],
                stage=self.log_fields["stage"],
                usage=Usage(model=model, tokens_in=tokens_in, tokens_out=tokens_out, cost_usd=cost_usd),
            )
        return credits
