"""The one-statement charge leaves what the ORM's three statements leave."""

from decimal import Decimal

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import CreditTransaction, CreditUsageLog
from billing.services import credits_take_and_record_with_orm
from billing.sql import credits_take_and_record
from tenancy.models import Account
from tests.factories import make_account

pytestmark = pytest.mark.django_db
ACCOUNT_AND_IDS = ["id", "account", "transaction"]


def charge_values(tenant, *, reference_id: str) -> tuple[dict, dict]:
    now = timezone.now()
    ledger = {
        "account_id": tenant.account.pk,
        "site": tenant.site,  # by name, as create() takes it
        "transaction_type": "deduction",
        "amount": -7,
        "operation_type": "clustering",
        "description": "auto_cluster on 5 item(s)",
        "reference_id": reference_id,
        "automation_run_id": "run_20261202_140500_manual_a1b2c3",
        "stage": 1,
        "created_at": now,
    }
    usage = {
        "account_id": tenant.account.pk,
        "site_id": tenant.site.pk,
        "operation_type": "clustering",
        "credits_used": 7,
        "cost_usd": Decimal("0.001234"),
        "model_used": "gpt-4o-mini",
        "tokens_in": 120,
        "tokens_out": 45,
        "automation_run_id": "run_20261202_140500_manual_a1b2c3",
        "stage": 1,
        "created_at": now,
    }
    return ledger, usage


def test_the_charge_writes_the_rows_and_balance_the_orm_writes_in_one_statement():
    by_sql, by_orm = make_account(credits=10), make_account(credits=10)
    ledger, usage = charge_values(by_sql, reference_id="sql")
    with CaptureQueriesContext(connection) as queries:
        ledger = credits_take_and_record(account_id=by_sql.account.pk, amount=7, ledger=ledger, usage=usage)
    assert len(queries.captured_queries) == 1
    ledger_values, usage = charge_values(by_orm, reference_id="orm")
    expected = credits_take_and_record_with_orm(
        account_id=by_orm.account.pk, amount=7, ledger=ledger_values, usage=usage
    )

    def stored(tenant):
        ledger = CreditTransaction.objects.get(account=tenant.account, transaction_type="deduction")
        usage = CreditUsageLog.objects.get(account=tenant.account)
        balance = Account.objects.get(pk=tenant.account.pk).credits
        ledger_fields = model_to_dict(ledger, exclude=[*ACCOUNT_AND_IDS, "site", "reference_id"])
        return ledger_fields, model_to_dict(usage, exclude=[*ACCOUNT_AND_IDS, "site"]), balance

    assert stored(by_sql) == stored(by_orm)
    assert stored(by_sql)[2] == 3
    # The returned row is the one stored, as the ORM returns it from create(): saved, so it is not
    # taken for a second row holding its own unique reference.
    assert model_to_dict(ledger) == model_to_dict(CreditTransaction.objects.get(pk=ledger.pk))
    assert model_to_dict(ledger, exclude=["id", "account", "site", "reference_id"]) == model_to_dict(
        expected, exclude=["id", "account", "site", "reference_id"]
    )
    ledger.validate_unique()
    expected.validate_unique()


def test_the_charge_writes_nothing_when_the_account_holds_too_little_as_the_orm():
    by_sql, by_orm = make_account(credits=6), make_account(credits=6)
    ledger, usage = charge_values(by_sql, reference_id="sql")
    assert credits_take_and_record(account_id=by_sql.account.pk, amount=7, ledger=ledger, usage=usage) is None
    ledger, usage = charge_values(by_orm, reference_id="orm")
    assert (
        credits_take_and_record_with_orm(account_id=by_orm.account.pk, amount=7, ledger=ledger, usage=usage)
        is None
    )
    for tenant in (by_sql, by_orm):
        assert Account.objects.get(pk=tenant.account.pk).credits == 6
        assert not CreditTransaction.objects.filter(
            account=tenant.account, transaction_type="deduction"
        ).exists()
        assert not CreditUsageLog.objects.filter(account=tenant.account).exists()


def test_the_charge_refuses_a_field_the_ledger_does_not_have_as_create_does():
    tenant = make_account(credits=10)
    ledger, usage = charge_values(tenant, reference_id="sql")
    with pytest.raises(TypeError, match="colour"):
        credits_take_and_record(
            account_id=tenant.account.pk, amount=7, ledger={**ledger, "colour": 1}, usage=usage
        )
    assert Account.objects.get(pk=tenant.account.pk).credits == 10
