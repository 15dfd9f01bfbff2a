import functools
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

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
    usage = usage or Usage()
    ledger = CreditTransaction(
        account_id=account.pk,
        site=site,
        transaction_type=TransactionType.DEDUCTION,
        amount=-amount,
        operation_type=operation_type,
        description=description,
        reference_id=reference_id,
        automation_run_id=automation_run_id,
        stage=stage,
        created_at=timezone.now(),
    )
    # An AI call's commit charges while it holds its run's row lock: each round trip here delays
    # every other commit of the run. No savepoint, and on PostgreSQL a single statement.
    if connection.vendor == "postgresql":
        taken = _credits_take_and_record(ledger, usage)
    else:
        taken = _credits_take_then_record(ledger, usage)
    if taken is None:
        raise InsufficientCredits(required=amount, available=credits_balance(account_id=account.pk))
    ledger.pk, ledger.balance_after = taken
    ledger._state.adding, ledger._state.db = False, connection.alias  # as saved by the ORM
    account.credits = ledger.balance_after
    return ledger


def _usage_fields(ledger: CreditTransaction, usage: Usage) -> dict:
    return {
        "account_id": ledger.account_id,
        "site_id": ledger.site_id,
        "operation_type": ledger.operation_type,
        "credits_used": -ledger.amount,
        "cost_usd": usage.cost_usd,
        "model_used": usage.model,
        "tokens_in": usage.tokens_in,
        "tokens_out": usage.tokens_out,
        "automation_run_id": ledger.automation_run_id,
        "stage": ledger.stage,
        "created_at": ledger.created_at,
    }


LEDGER_COLUMNS = (
    "account_id", "site_id", "transaction_type", "amount", "operation_type", "description",
    "reference_id", "automation_run_id", "stage", "created_at",
)  # fmt: skip
USAGE_COLUMNS = (
    "account_id", "site_id", "operation_type", "credits_used", "cost_usd", "model_used", "tokens_in",
    "tokens_out", "automation_run_id", "stage", "created_at",
)  # fmt: skip


@functools.cache
def _charge_statement() -> str:
    """PostgreSQL's one-statement charge (`_credits_take_and_record`), built once per process."""
    quote = connection.ops.quote_name
    return f"""
        WITH taken AS (
            UPDATE {quote(Account._meta.db_table)} SET credits = credits - %s
            WHERE id = %s AND credits >= %s RETURNING credits
        ), ledger AS (
            INSERT INTO {quote(CreditTransaction._meta.db_table)} ({", ".join(LEDGER_COLUMNS)}, balance_after)
            SELECT {", ".join(["%s"] * len(LEDGER_COLUMNS))}, credits FROM taken
            RETURNING id, balance_after
        ), usage AS (
            INSERT INTO {quote(CreditUsageLog._meta.db_table)} ({", ".join(USAGE_COLUMNS)}, transaction_id)
            SELECT {", ".join(["%s"] * len(USAGE_COLUMNS))}, id FROM ledger
        )
        SELECT id, balance_after FROM ledger
    """


def _credits_take_and_record(ledger: CreditTransaction, usage: Usage) -> tuple[int, int] | None:
    """PostgreSQL: the conditional UPDATE and both inserts in one statement; (ledger id, balance) or None.

    The inserts read the UPDATE's returned balance, so when the account holds too little nothing is
    written. The ORM would make this three statements, each built anew in Python.
    """
    usage_fields = _usage_fields(ledger, usage)
    amount = -ledger.amount
    params = [amount, ledger.account_id, amount]
    params += [getattr(ledger, column) for column in LEDGER_COLUMNS]
    params += [usage_fields[column] for column in USAGE_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(_charge_statement(), params)
        return cursor.fetchone()


def _credits_take_then_record(ledger: CreditTransaction, usage: Usage) -> tuple[int, int] | None:
    """Elsewhere (the embedded SQLite, which has no writing WITH): three statements."""
    with transaction.atomic(savepoint=False):
        balance = _credits_take(account_id=ledger.account_id, amount=-ledger.amount)
        if balance is None:
            return None
        ledger.balance_after = balance
        ledger.save(force_insert=True)
        CreditUsageLog.objects.create(transaction=ledger, **_usage_fields(ledger, usage))
    return ledger.pk, balance


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
