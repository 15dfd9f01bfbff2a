"""`run_function`: the one entry point that runs an AI function for an account and site."""

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.db import transaction

from ai import clustering
from ai.defaults import default_price
from ai.errors import AIError
from ai.functions import AIFunction, Unit, get_function
from ai.models import AITaskLog, ModelPrice
from ai.providers import GeneratedImage, get_provider
from billing.errors import InsufficientCredits
from billing.selectors import CreditCostTable, credit_cost_table
from billing.services import Usage, credits_check, credits_deduct
from igny8.errors import ValidationFailed
from igny8.sql import insert_row
from tenancy.models import Account, Site

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


def parse_ids(payload: dict, *, max_items: int) -> list[int]:
    ids = payload.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and i > 0 for i in ids):
        raise ValidationFailed(
            "ids must be a non-empty list of positive integers.", errors={"ids": ["Required."]}
        )
    ids = list(dict.fromkeys(ids))
    if len(ids) > max_items:
        raise ValidationFailed(
            f"At most {max_items} ids per call; got {len(ids)}.", errors={"ids": [f"At most {max_items}."]}
        )
    return ids


class _Prices:
    """Model prices, each read once (thread-safe enough: a race reads the same row twice)."""

    def __init__(self):
        self._cache: dict[str, ModelPrice | None] = {}

    def cost(self, model: str, *, tokens_in: int, tokens_out: int, images: int) -> Decimal:
        if model not in self._cache:
            self._cache[model] = ModelPrice.objects.filter(model=model).first() or default_price(model)
        price = self._cache[model]
        return (
            price.cost(tokens_in=tokens_in, tokens_out=tokens_out, images=images) if price else Decimal("0")
        )


@dataclass
class Pricing:
    """Credit costs and model prices, read once and shared by the calls that use it.

    A run's stage prices all its batches with one Pricing: the tables as they were when it began.
    """

    costs: CreditCostTable
    prices: _Prices = field(default_factory=_Prices)

    @classmethod
    def read(cls, function_name: str) -> "Pricing":
        operation_type = get_function(function_name).operation_type
        return cls(costs=credit_cost_table(operation_types=[operation_type]))


@dataclass
class Prepared:
    function: AIFunction
    items: list
    options: dict
    estimate: int
    pricing: Pricing


def prepare(
    name: str,
    payload: dict,
    *,
    account: Account,
    site: Site,
    pricing: Pricing | None = None,
    rows: list | None = None,
) -> Prepared:
    """Validate a call before any AI work: ids, options and credits (InsufficientCredits with the numbers).

    `rows`, when given, are the rows of `payload["ids"]` as the caller has just read them with a
    query at least as strict as the function's own (a run's pending queue): they are not read again.
    Each commit locks its rows and checks them once more, so a row taken meanwhile saves nothing.
    """
    function = get_function(name)
    ids = parse_ids(payload, max_items=function.max_items)
    options = function.clean_options(payload)
    # In id order, as load() gives them.
    items = function.load(site=site, ids=ids) if rows is None else sorted(rows, key=lambda row: row.pk)
    pricing = pricing or Pricing.read(name)
    estimate = pricing.costs.cost(function.operation_type, function.quantity(items, options))
    credits_check(account=account, required=estimate)
    return Prepared(function=function, items=items, options=options, estimate=estimate, pricing=pricing)


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


def run_function(
    name: str,
    payload: dict,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    **arguments,
) -> FunctionResult:
    """Run AI function `name` on `payload["ids"]`, with `function_start`'s keyword arguments.

    Provider calls run concurrently (AI_CONCURRENCY threads) and outside any transaction. Each
    call's outputs, status changes, credit deduction and success log commit in one transaction,
    with `guard(credits)` last before the charge: it may raise to refuse the commit (BudgetExhausted
    when the call's real cost would pass the caller's cap). Taking the caller's shared locks last
    keeps concurrent commits from waiting on each other's item work. A call that fails writes a
    failed log and changes and charges nothing; so does one that `budget` refuses before it is made.
    Raises ValidationFailed and InsufficientCredits before any call; InsufficientCredits mid-way
    stops the remaining calls and is raised after logging. `pricing`, when given, prices the calls
    (a run's stage shares one); without it the tables are read now.
    """
    started = function_start(name, payload, **arguments)
    units = started.units
    workers = max(1, min(settings.AI_CONCURRENCY, len(units)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"ai-{name}") as pool:
        futures = [pool.submit(started.call, unit) for unit in units]
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                started.finish(future.result())
                if progress:
                    progress(done, len(units), f"{name}: {done}/{len(units)} done")
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return started.result


def function_start(
    name: str,
    payload: dict,
    *,
    account: Account,
    site: Site,
    automation_run_id: str = "",
    stage: int | None = None,
    guard: Callable[[int], None] | None = None,
    budget: Budget | None = None,
    pricing: Pricing | None = None,
    rows: list | None = None,
    celery_task_id: str = "",
) -> "FunctionRun":
    """`run_function`'s first step (validation, the credit check), for callers that schedule the rest.

    The caller makes each unit's `call` (no database work: any thread) and passes what it returns
    to `finish` (the commit: a thread with a database connection), as `run_function` does.
    """
    prepared = prepare(name, payload, account=account, site=site, pricing=pricing, rows=rows)
    provider = get_provider()
    return FunctionRun(
        function=prepared.function,
        options=prepared.options,
        site=site,
        provider=provider,
        model=settings.AI_MODELS.get(name, ""),
        guard=guard,
        budget=budget,
        log_fields={
            "account": account,
            "site": site,
            "function": name,
            "provider": provider.name,
            "automation_run_id": automation_run_id,
            "stage": stage,
            "celery_task_id": celery_task_id,
        },
        costs=prepared.pricing.costs,
        prices=prepared.pricing.prices,
        units=prepared.function.units(prepared.items, site=site, options=prepared.options),
        result=FunctionResult(function=name, requested=len(prepared.items)),
    )


@dataclass
class FunctionRun:
    """One run_function call: makes each unit's provider call, then commits or fails it."""

    function: AIFunction
    options: dict
    site: Site
    provider: object
    model: str
    guard: Callable[[int], None] | None
    budget: Budget | None
    log_fields: dict
    costs: CreditCostTable
    prices: _Prices
    units: list[Unit]
    result: FunctionResult

    def call(self, unit: Unit) -> tuple:
        """The provider call (no database work: any thread). Returns what `finish` takes."""
        started = time.monotonic()
        hold = 0
        if self.budget is not None:
            # From the table read in prepare(): this pool thread makes no database query.
            hold = self.costs.cost(
                self.function.operation_type, self.function.quantity(unit.items, self.options)
            )
            if not self.budget.reserve(hold):
                return unit, None, None, started, 0
        try:
            return unit, self.function.call(self.provider, unit, self.model), None, started, hold
        except AIError as error:
            return unit, None, str(error), started, hold
        except Exception as error:  # a provider bug must not take the other calls down with it
            logger.exception("%s: unexpected provider error", self.function.name)
            return unit, None, f"Unexpected provider error: {error}", started, hold

    def finish(self, called: tuple) -> None:
        """Commit (or record the failure of) one unit's call, given what `call` returned."""
        unit, answer, error, started, hold = called
        try:
            if error is not None:
                self.fail(unit, error, started)
            elif answer is None:
                self.result.capped += len(unit.items)
            else:
                self.commit(unit, answer, started)
        finally:
            if self.budget is not None and hold:
                self.budget.release(hold)

    def discard(self, called: tuple) -> None:
        """Drop one unit's answer uncommitted (the caller stopped on an error): its items stay."""
        hold = called[-1]
        if self.budget is not None and hold:
            self.budget.release(hold)

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
        function, site = self.function, self.site
        tokens_in, tokens_out = getattr(answer, "tokens_in", 0), getattr(answer, "tokens_out", 0)
        model = getattr(answer, "model", "")
        try:
            with transaction.atomic():
                # The rows still eligible, locked: a repeated or overtaken call finds none and saves nothing.
                rows = function.locked(site=site, ids=unit.ids)
                saved = function.save(rows, answer, site=site, options=self.options)
                if saved is None:
                    self.result.skipped += 1
                    return
                images = int(isinstance(answer, GeneratedImage))
                cost_usd = self.prices.cost(model, tokens_in=tokens_in, tokens_out=tokens_out, images=images)
                credits = self.costs.cost(function.operation_type, saved.quantity)
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
                        usage=Usage(
                            model=model, tokens_in=tokens_in, tokens_out=tokens_out, cost_usd=cost_usd
                        ),
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


def keywords_in_similarity_order(
    keywords: list, *, site: Site, automation_run_id: str = "", stage: int | None = None
) -> list:
    """`keywords` reordered so alike ones sit next to each other, for cutting clustering batches.

    With the openai provider the vectors come from its embeddings endpoint (logged like any call,
    with its tokens and cost; it costs no credits). Without them, or when that call fails, the
    local model of the `semantic` extra or lexical similarity orders them.
    """
    if len(keywords) < 2:
        return list(keywords)
    texts = [keyword.keyword for keyword in keywords]
    vectors = None
    provider = get_provider()
    if provider.name != "offline":
        model = settings.AI_MODELS["embeddings"]
        started = time.monotonic()
        log = {
            "account_id": site.account_id,
            "site": site,
            "function": "embed_keywords",
            "provider": provider.name,
            "automation_run_id": automation_run_id,
            "stage": stage,
            "items": [keyword.pk for keyword in keywords],
        }
        try:
            embeddings = provider.embed(model=model, texts=texts)
        except AIError as error:
            logger.warning("keyword embeddings failed, ordering them locally: %s", error)
            AITaskLog.objects.create(
                **log,
                status=AITaskLog.Status.FAILED,
                model=model,
                duration_ms=int((time.monotonic() - started) * 1000),
                error=str(error),
            )
        else:
            vectors = embeddings.vectors
            AITaskLog.objects.create(
                **log,
                status=AITaskLog.Status.SUCCESS,
                model=embeddings.model,
                tokens_in=embeddings.tokens_in,
                cost_usd=_Prices().cost(
                    embeddings.model, tokens_in=embeddings.tokens_in, tokens_out=0, images=0
                ),
                duration_ms=int((time.monotonic() - started) * 1000),
            )
    return [keywords[index] for index in clustering.order_by_similarity(texts, vectors)]
