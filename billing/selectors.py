from datetime import datetime

from django.db.models import Count, QuerySet, Sum

from billing.models import CreditTransaction, CreditUsageLog
from tenancy.models import Account, Site


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
