from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing import sql as billing_sql
from billing.errors import InsufficientCredits
from billing.models import CreditTransaction, CreditUsageLog, TransactionType
from billing.selectors import credit_cost_table, credits_balance
from igny8.capabilities import capabilities
from igny8.errors import ValidationFailed
from tenancy.models import Account, Site

MAX_BALANCE = 2**31 - 1


@dataclass(frozen=True)
class Usage:
    """What an AI call consumed, recorded beside the credits it cost."""

    model: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal("0")


def credits_cost(*, operation_type: str, quantity: int) -> int:
    """Credits for `quantity` units of an operation: `credits` per started `per_quantity` units."""
    if quantity <= 0:
        return 0
    return credit_cost_table(operation_types=[operation_type]).cost(operation_type, quantity)


def credits_check(*, account: Account, required: int) -> None:
    """Raises InsufficientCredits when the account holds fewer than `required` credits."""
    available = credits_balance(account_id=account.pk)
    if available < required:
        raise InsufficientCredits(required=required, available=available)


def credits_deduct(
    *,
    account: Account,
    amount: int,
    operation_type: str,
    description: str = "",
    site: Site | None = None,
    automation_run_id: str = "",
    stage: int | None = None,
    usage: Usage | None = None,
    reference_id: str | None = None,
) -> CreditTransaction:
    """Take `amount` credits with one conditional UPDATE and write the ledger and usage rows.

    Called inside the caller's transaction, the deduction commits (or rolls back) with the
    caller's own writes. Raises InsufficientCredits, leaving the balance untouched.
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    usage = usage or Usage()
    ledger = {
        "account_id": account.pk,
        "site_id": site.pk if site is not None else None,
        "transaction_type": TransactionType.DEDUCTION,
        "amount": -amount,
        "operation_type": operation_type,
        "description": description,
        "reference_id": reference_id,
        "automation_run_id": automation_run_id,
        "stage": stage,
        "created_at": timezone.now(),
    }
    usage_row = {
        "account_id": account.pk,
        "site_id": ledger["site_id"],
        "operation_type": operation_type,
        "credits_used": amount,
        "cost_usd": usage.cost_usd,
        "model_used": usage.model,
        "tokens_in": usage.tokens_in,
        "tokens_out": usage.tokens_out,
        "automation_run_id": automation_run_id,
        "stage": stage,
        "created_at": ledger["created_at"],
    }
    # An AI call's commit charges while it holds its run's row lock: no savepoint, and on
    # PostgreSQL a single statement.
    take_and_record = (
        billing_sql.credits_take_and_record
        if capabilities().postgresql_sql
        else credits_take_and_record_with_orm
    )
    taken = take_and_record(account_id=account.pk, amount=amount, ledger=ledger, usage=usage_row)
    if taken is None:
        raise InsufficientCredits(required=amount, available=credits_balance(account_id=account.pk))
    account.credits = taken.balance_after
    return taken


def credits_take_and_record_with_orm(
    *, account_id: int, amount: int, ledger: dict, usage: dict
) -> CreditTransaction | None:
    """`billing.sql.credits_take_and_record` in the ORM's three statements, for databases without a
    writing WITH (the embedded SQLite): the ledger row, or None, writing nothing, when the account
    holds less than `amount`. The conditional UPDATE keeps the balance from ever going negative."""
    with transaction.atomic(savepoint=False):
        if not Account.objects.filter(pk=account_id, credits__gte=amount).update(
            credits=F("credits") - amount
        ):
            return None
        balance = credits_balance(account_id=account_id)
        created = CreditTransaction.objects.create(**ledger, balance_after=balance)
        CreditUsageLog.objects.create(**usage, transaction=created)
    return created


@transaction.atomic
def credits_grant(*, account: Account, amount: int, description: str = "", reference_id: str | None = None):
    """Add credits and write the ledger row in one transaction."""
    if amount <= 0:
        raise ValidationFailed(
            "amount must be a positive number of credits.", errors={"amount": ["Must be > 0."]}
        )
    # The balance is a PostgreSQL integer: refuse a grant that would overflow it instead of failing in SQL.
    headroom = MAX_BALANCE - amount
    if headroom < 0 or not Account.objects.filter(pk=account.pk, credits__lte=headroom).update(
        credits=F("credits") + amount
    ):
        raise ValidationFailed(
            f"amount would take the balance over the maximum of {MAX_BALANCE} credits.",
            code="balance_limit",
            errors={"amount": [f"The balance may not exceed {MAX_BALANCE}."]},
        )
    balance = credits_balance(account_id=account.pk)
    ledger = CreditTransaction.objects.create(
        account_id=account.pk,
        transaction_type=TransactionType.GRANT,
        amount=amount,
        balance_after=balance,
        description=description or "Credits granted",
        reference_id=reference_id,
    )
    account.credits = balance
    return ledger


class CreditService:
    """The credit operations under the names the reference system uses."""

    get_cost = staticmethod(credits_cost)
    check = staticmethod(credits_check)
    deduct = staticmethod(credits_deduct)
    grant = staticmethod(credits_grant)
