import pytest

from billing.services import Usage, credits_deduct

pytestmark = pytest.mark.django_db


def test_balance_transactions_and_usage(owner_client, tenant):
    account, site = tenant.account, tenant.site
    credits_deduct(
        account=account, amount=4, operation_type="clustering", site=site, usage=Usage(tokens_in=10)
    )
    credits_deduct(
        account=account, amount=6, operation_type="idea_generation", site=site, usage=Usage(tokens_out=5)
    )
    assert owner_client.get("/api/v1/billing/balance/").json()["data"] == {"credits": 9_990}
    amounts = [row["amount"] for row in owner_client.get("/api/v1/billing/transactions/").json()["results"]]
    assert amounts == [-6, -4, 10_000]
    usage = owner_client.get(f"/api/v1/billing/usage/?site_id={site.pk}").json()["data"]
    assert usage["total_credits"] == 10
    by_operation = {row["operation_type"]: row for row in usage["operations"]}
    assert by_operation["clustering"]["tokens_in"] == 10
    assert by_operation["idea_generation"]["credits"] == 6


def test_usage_rejects_a_malformed_since(owner_client):
    response = owner_client.get("/api/v1/billing/usage/?since=yesterday")
    assert response.status_code == 400
    assert "since" in response.json()["errors"]
