import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.errors import InsufficientCredits
from billing.models import CreditTransaction, CreditUsageLog, OperationType
from billing.services import Usage, credits_cost, credits_deduct, credits_grant
from tenancy.models import Account
from tests.factories import make_account


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("operation", "quantity", "expected"),
    [
        ("clustering", 5, 1),
        ("clustering", 6, 2),
        ("clustering", 20, 4),
        ("idea_generation", 3, 6),
        ("content_generation", 1, 1),
        ("content_generation", 1001, 11),
        ("image_prompt_extraction", 1, 2),
        ("image_generation", 3, 15),
        ("image_generation", 0, 0),
    ],
)
def test_cost_rules_follow_the_seeded_defaults(operation, quantity, expected):
    assert credits_cost(operation_type=operation, quantity=quantity) == expected


@pytest.mark.django_db
def test_deduct_writes_ledger_and_usage_and_refuses_overdraft():
    tenant = make_account(credits=10)
    account, site = tenant.account, tenant.site
    ledger = credits_deduct(
        account=account,
        amount=7,
        operation_type="clustering",
        site=site,
        automation_run_id="run_x",
        stage=1,
        usage=Usage(model="m", tokens_in=11, tokens_out=22),
    )
    assert (ledger.amount, ledger.balance_after, ledger.transaction_type) == (-7, 3, "deduction")
    usage = CreditUsageLog.objects.get(transaction=ledger)
    assert (usage.credits_used, usage.tokens_in, usage.tokens_out, usage.stage) == (7, 11, 22, 1)
    with pytest.raises(InsufficientCredits) as raised:
        credits_deduct(account=account, amount=4, operation_type="clustering")
    assert (raised.value.required, raised.value.available) == (4, 3)
    assert Account.objects.get(pk=account.pk).credits == 3
    assert CreditTransaction.objects.filter(account=account).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_deductions_never_overdraw_and_keep_the_ledger_chain():
    tenant = make_account(credits=100)
    account = tenant.account
    outcomes, barrier = [], threading.Barrier(50)

    def deduct():
        try:
            barrier.wait()
            credits_deduct(account=Account(pk=account.pk), amount=3, operation_type="clustering")
            outcomes.append("ok")
        except InsufficientCredits:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=deduct) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 33 and outcomes.count("refused") == 17
    assert Account.objects.get(pk=account.pk).credits == 1
    ledger = list(CreditTransaction.objects.filter(account=account).order_by("id"))
    balance = 0
    for row in ledger:
        balance += row.amount
        assert row.balance_after == balance
    assert balance == 1


@pytest.mark.django_db
def test_grant_refuses_non_positive_amounts():
    tenant = make_account()
    account = tenant.account
    from igny8.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        credits_grant(account=account, amount=0)


@pytest.mark.django_db
def test_a_deduction_is_one_statement_and_no_savepoint():
    """An AI call's commit charges while it holds its run's row: each round trip there delays the others."""
    account = make_account(credits=10).account
    with CaptureQueriesContext(connection) as queries:
        ledger = credits_deduct(
            account=account, amount=4, operation_type=OperationType.CLUSTERING, usage=Usage(tokens_in=9)
        )
    assert len(queries.captured_queries) == 1
    assert Account.objects.get(pk=account.pk).credits == 6
    stored = CreditTransaction.objects.get(pk=ledger.pk)
    assert (stored.amount, stored.balance_after, stored.operation_type) == (-4, 6, "clustering")
    assert (stored.usage.credits_used, stored.usage.tokens_in, stored.usage.operation_type) == (
        4,
        9,
        "clustering",
    )
