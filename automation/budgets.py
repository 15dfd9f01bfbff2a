"""Monthly credit budgets per site: spending counted from the ledger, events once per month.

A month is a calendar month of TIME_ZONE. What a site spent is the sum of the ledger's
deductions tagged with the site since the month began (refunds of the site count back), so
other sites of the account, grants and manual edits never leak in.
"""

import datetime

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from automation.models import AutomationConfig
from billing.models import CreditTransaction, TransactionType
from events.services import event_emit
from tenancy.models import Account

THRESHOLD = 0.8  # budget.threshold fires at 80% of the month's budget


def month_start(now: datetime.datetime | None = None) -> datetime.datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_label(now: datetime.datetime | None = None) -> str:
    return f"{month_start(now):%Y-%m}"


def spent_this_month(*, site_id: int) -> int:
    rows = CreditTransaction.objects.filter(
        site_id=site_id,
        created_at__gte=month_start(),
        transaction_type__in=[TransactionType.DEDUCTION, TransactionType.REFUND],
    )
    return -rows.aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def spent_this_month_by_site(*, account: Account) -> dict[int, int]:
    """{site_id: credits spent this month} for every site of the account that spent: one query."""
    rows = (
        CreditTransaction.objects.filter(
            account=account,
            site__isnull=False,
            created_at__gte=month_start(),
            transaction_type__in=[TransactionType.DEDUCTION, TransactionType.REFUND],
        )
        .values("site_id")
        .order_by("site_id")
        .annotate(total=Sum("amount"))
    )
    return {row["site_id"]: -row["total"] for row in rows}


def budget_status(*, config: AutomationConfig, spent: int | None = None) -> dict:
    """`{month, budget, spent, left}`; `budget` and `left` are None without a budget."""
    spent = spent_this_month(site_id=config.site_id) if spent is None else spent
    budget = config.monthly_credit_budget
    left = None if budget is None else max(budget - spent, 0)
    return {"month": month_label(), "budget": budget, "spent": spent, "left": left}


def run_cap(*, config: AutomationConfig, run_spent: int) -> tuple[int | None, bool]:
    """The credit cap of a run's executor now, and whether the month's budget is what binds it.

    The run may spend what is left of the month on top of what it has spent already.
    """
    per_run = config.max_credits_per_run
    if config.monthly_credit_budget is None:
        return per_run, False
    monthly = run_spent + budget_status(config=config)["left"]
    if per_run is not None and per_run <= monthly:
        return per_run, False
    return monthly, True


def budget_events(*, config: AutomationConfig, exhausted: bool = False) -> None:
    """`budget.threshold` at 80% and `budget.exhausted` at 100% (or when a run paused on it), each
    once per site and month (the outbox's dedupe key)."""
    if config.monthly_credit_budget is None:
        return
    status = budget_status(config=config)
    budget = status["budget"]
    data = {"month": status["month"], "budget": budget, "spent": status["spent"]}
    for event_type, reached in (
        ("budget.threshold", status["spent"] >= THRESHOLD * budget),
        ("budget.exhausted", exhausted or status["spent"] >= budget),
    ):
        if reached:
            event_emit(
                account_id=config.account_id,
                site_id=config.site_id,
                type=event_type,
                data=data,
                dedupe_key=f"{event_type}:{config.site_id}:{status['month']}",
            )


def budget_pause_reason() -> str:
    return f"Paused: the site's monthly credit budget is spent ({month_label()})."
