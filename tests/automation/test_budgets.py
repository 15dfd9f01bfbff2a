"""Monthly credit budgets per site: counted from the ledger, a run pauses on them, events once a month."""

import pytest

from automation.budgets import spent_this_month
from automation.engine.claim import execute_run
from automation.models import AutomationRun
from automation.retries import run_from_stage
from automation.services.config import config_get_or_create, config_update
from automation.services.control import run_resume
from billing.models import CreditTransaction
from billing.services import credits_grant
from events.models import Event
from tests.conftest import assert_error_envelope
from tests.factories import make_content

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline")]


def budget_site(tenant, budget: int):
    """Three drafts waiting for image prompts (2 credits each), and a monthly budget."""
    site = tenant.site
    config = config_get_or_create(site=site)
    fields = {"within_stage_delay": 0, "between_stage_delay": 0, "monthly_credit_budget": budget}
    config_update(config=config, fields=fields)
    for n in range(3):
        make_content(site=site, title=f"Draft {n}")
    return site


def test_a_run_that_would_pass_the_budget_pauses_for_budget_keeping_what_it_did(tenant):
    site = budget_site(tenant, budget=4)
    run = run_from_stage(site=site, from_stage=5)
    assert execute_run(run_pk=run.pk) == "stopped"
    run.refresh_from_db()
    assert (run.status, run.pause_reason, run.current_stage) == ("paused", "budget", 5)
    assert run.stage_5_result["content_processed"] == 2 and run.stage_5_result["partial"] is True
    assert run.stage_5_result["partial_reason"] == "monthly_credit_budget reached"
    assert spent_this_month(site_id=site.pk) == 4 == run.total_credits_used
    paused = Event.objects.get(type="run.paused")
    assert paused.data["reason"] == "budget"
    assert sorted(Event.objects.filter(type__startswith="budget.").values_list("type", flat=True)) == [
        "budget.exhausted",
        "budget.threshold",
    ]
    run_resume(run=run)  # the budget is still spent: it pauses again, without new budget events
    execute_run(run_pk=run.pk)
    run.refresh_from_db()
    assert (run.status, run.pause_reason) == ("paused", "budget")
    assert Event.objects.filter(type__startswith="budget.").count() == 2
    assert Event.objects.filter(type="run.paused").count() == 2


def test_spending_counts_only_the_sites_own_ledger_rows_this_month(tenant):
    site = budget_site(tenant, budget=100)
    credits_grant(account=tenant.account, amount=50, description="a grant is not spending")
    run = run_from_stage(site=site, from_stage=5)
    execute_run(run_pk=run.pk)
    ledger = CreditTransaction.objects.filter(site=site, transaction_type="deduction")
    assert spent_this_month(site_id=site.pk) == -sum(ledger.values_list("amount", flat=True)) > 0
    assert not Event.objects.filter(type__startswith="budget.").exists()  # 20 of 100 is under 80%
    assert AutomationRun.objects.get(pk=run.pk).status == "completed"


def test_estimate_and_run_now_say_what_is_left_of_the_month(tenant, owner_client, other_client):
    site = budget_site(tenant, budget=40)
    estimate = owner_client.get(f"/api/v1/automation/estimate/?site_id={site.pk}").json()["data"]
    assert estimate["monthly_budget"]["budget"] == 40 and estimate["monthly_budget"]["left"] == 40
    started = owner_client.post(f"/api/v1/automation/run_now/?site_id={site.pk}")
    assert started.status_code == 201 and started.json()["data"]["monthly_budget"]["left"] == 40
    assert_error_envelope(other_client.get(f"/api/v1/automation/estimate/?site_id={site.pk}"), 404)
    assert_error_envelope(other_client.post(f"/api/v1/automation/run_now/?site_id={site.pk}"), 404)
    config = owner_client.get(f"/api/v1/automation/config/?site_id={site.pk}").json()["data"]
    assert config["monthly_credit_budget"] == 40
    bad = owner_client.patch(
        f"/api/v1/automation/update_config/?site_id={site.pk}", {"monthly_credit_budget": 0}, format="json"
    )
    assert_error_envelope(bad, 400)
