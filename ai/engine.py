"""`run_function`: the one entry point that runs an AI function for an account and site."""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from django.conf import settings

from ai.calls import Budget, FunctionCalls, FunctionResult
from ai.functions import AIFunction, get_function
from ai.pricing import Pricing
from ai.providers import get_provider
from billing.services import credits_check
from igny8.errors import ValidationFailed
from tenancy.models import Account, Site

logger = logging.getLogger(__name__)


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
    calls = function_start(name, payload, **arguments)
    units = calls.units
    workers = max(1, min(settings.AI_CONCURRENCY, len(units)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"ai-{name}") as pool:
        futures = [pool.submit(calls.call, unit) for unit in units]
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                calls.finish(future.result())
                if progress:
                    progress(done, len(units), f"{name}: {done}/{len(units)} done")
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return calls.result


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
) -> "FunctionCalls":
    """`run_function`'s first step (validation, the credit check), for callers that schedule the rest.

    The caller makes each unit's `call` (no database work: any thread) and passes what it returns
    to `finish` (the commit: a thread with a database connection), as `run_function` does.
    """
    prepared = prepare(name, payload, account=account, site=site, pricing=pricing, rows=rows)
    provider = get_provider()
    return FunctionCalls(
        function=prepared.function,
        options=prepared.options,
        site=site,
        provider=provider,
        model=settings.AI_MODELS[name],  # ai.checks refuses to start without one
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
        units=prepared.function.units(
            prepared.items,
            site=site,
            options=prepared.options,
            automation_run_id=automation_run_id,
            stage=stage,
        ),
        result=FunctionResult(function=name, requested=len(prepared.items)),
    )
