import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet, Sum

from billing.defaults import DEFAULT_COSTS
from billing.models import CreditCostConfig, CreditTransaction, CreditUsageLog
from igny8.errors import ValidationFailed
from tenancy.models import Account, Site

DEFAULT_RATES = {operation: (credits, per_quantity) for operation, credits, per_quantity, *_ in DEFAULT_COSTS}


@dataclass(frozen=True)
class CreditRate:
    """`credits` per started block of `per_quantity` units of an operation."""

    credits: int
    per_quantity: int

    def cost(self, quantity: int) -> int:
        return self.credits * math.ceil(quantity / self.per_quantity) if quantity > 0 else 0


class CreditCostTable:
    """The cost table read once, so a caller pricing many items makes one query, not one per item."""

    def __init__(self, rows: dict[str, tuple[int, int]]):
        self.rows = rows

    def rate(self, operation_type: str) -> CreditRate:
        # A deleted row falls back to the seeded default rather than making the operation free.
        row = self.rows.get(operation_type) or DEFAULT_RATES.get(operation_type)
        if row is None:
            raise ValidationFailed(
                f"No credit cost is configured for '{operation_type}'.", code="cost_not_configured"
            )
        return CreditRate(*row)

    def cost(self, operation_type: str, quantity: int) -> int:
        return self.rate(operation_type).cost(quantity) if quantity > 0 else 0


def credit_cost_table(*, operation_types: list[str] | None = None) -> CreditCostTable:
    rows = CreditCostConfig.objects.all()
    if operation_types is not None:
        rows = rows.filter(operation_type__in=operation_types)
    return CreditCostTable(
        {
            operation: (credits, per)
            for operation, credits, per in rows.values_list("operation_type", "credits", "per_quantity")
        }
    )


def credits_balance(*, account_id: int) -> int:
    """The account's balance as stored now (not as a loaded Account object remembers it)."""
    return Account.objects.values_list("credits", flat=True).get(pk=account_id)


def transactions_for_account(*, account: Account) -> QuerySet[CreditTransaction]:
    return CreditTransaction.objects.filter(account=account).order_by("-id")


def usage_by_operation(*, account: Account, site: Site | None = None, since: datetime | None = None) -> dict:
    rows = CreditUsageLog.objects.filter(account=account)
    if site is not None:
        rows = rows.filter(site=site)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    operations = list(
        rows.values("operation_type")
        .annotate(
            calls=Count("id"),
            credits=Sum("credits_used"),
            tokens_in=Sum("tokens_in"),
            tokens_out=Sum("tokens_out"),
            cost_usd=Sum("cost_usd"),
        )
        .order_by("operation_type")
    )
    return {
        "total_credits": sum(row["credits"] or 0 for row in operations),
        "operations": operations,
    }


def credits_used_by_run(*, automation_run_id: str) -> dict[int, int]:
    """Credits a run spent, by stage: the sum of the ledger rows tagged with it."""
    rows = (
        CreditTransaction.objects.filter(automation_run_id=automation_run_id, stage__isnull=False)
        .values("stage")
        .annotate(total=Sum("amount"))
    )
    return {row["stage"]: -row["total"] for row in rows}
