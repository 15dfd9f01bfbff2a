from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F

from billing.errors import InsufficientCredits
from billing.models import CreditTransaction, CreditUsageLog, TransactionType
from billing.selectors import credit_cost_table, credits_balance
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
    # No savepoint: an AI call's commit calls this while it holds the run's row lock, and each
    # round trip there delays every other commit of the run. The refusal is raised outside the
    # block, so a caller that catches it keeps a usable transaction.
    with transaction.atomic(savepoint=False):
        balance = _credits_take(account_id=account.pk, amount=amount)
        if balance is not None:
            ledger = CreditTransaction.objects.create(
                account_id=account.pk,
                site=site,
                transaction_type=TransactionType.DEDUCTION,
                amount=-amount,
                balance_after=balance,
                operation_type=operation_type,
                description=description,
                reference_id=reference_id,
                automation_run_id=automation_run_id,
                stage=stage,
            )
            usage = usage or Usage()
            CreditUsageLog.objects.create(
                account_id=account.pk,
                site=site,
                transaction=ledger,
                operation_type=operation_type,
                credits_used=amount,
                cost_usd=usage.cost_usd,
                model_used=usage.model,
                tokens_in=usage.tokens_in,
                tokens_out=usage.tokens_out,
                automation_run_id=automation_run_id,
                stage=stage,
            )
    if balance is None:
        raise InsufficientCredits(required=amount, available=credits_balance(account_id=account.pk))
    account.credits = balance
    return ledger


def _credits_take(*, account_id: int, amount: int) -> int | None:
    """The balance after taking `amount`, or None when the account holds less: one statement.

    The ORM's update() cannot return the new value, and reading it back would be a second round
    trip under the account's row lock.
    """
    table = connection.ops.quote_name(Account._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET credits = credits - %s WHERE id = %s AND credits >= %s RETURNING credits",
            [amount, account_id, amount],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


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
