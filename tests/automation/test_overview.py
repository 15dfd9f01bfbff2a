"""`GET automation/overview/` (every site on one page, in constant queries) and `POST automation/bulk/`."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automation.failures import failures_record
from automation.services.config import config_get_or_create, config_update
from automation.services.control import run_cancel
from automation.services.runs import start_automation
from automation.stages import get_stage
from billing.services import Usage, credits_deduct
from publishing.services import destination_create, destination_record_health
from tenancy.services import site_create
from tests.automation.test_retries import queued_tasks, quick_config
from tests.conftest import assert_error_envelope
from tests.factories import SMALL_RUN_KEYWORDS, make_content, make_keywords
from writer.models import Content
from writer.services import contents_bulk_update_status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline")]
URL = "/api/v1/automation/overview/"


def agency(tenant):
    """Site 1 with a failed item, site 2 over 80% of its budget, site 3 with an article in review."""
    first = tenant.site
    quick_config(first)
    (task,) = queued_tasks(first, 1)
    run = start_automation(site=first)
    failures_record(run=run, stage=get_stage(4), ids=[task.pk], error="The AI provider timed out.")
    run_cancel(run=run)
    second = site_create(account=tenant.account, name="Budget site", domain="budget.example.com")
    config_update(config=config_get_or_create(site=second), fields={"monthly_credit_budget": 10})
    credits_deduct(
        account=tenant.account,
        amount=9,
        operation_type="content_generation",
        description="an article",
        site=second,
        usage=Usage(model="m", tokens_in=1, tokens_out=1, cost_usd=0),
    )
    third = site_create(account=tenant.account, name="Review site", domain="review.example.com")
    content = make_content(site=third, title="Ready")
    contents_bulk_update_status(site=third, ids=[content.pk], status="review")
    return first, second, third


def test_the_overview_has_one_row_per_site_with_its_state(tenant, other_tenant, viewer_client, other_client):
    first, second, third = agency(tenant)
    response = viewer_client.get(URL)
    assert response.status_code == 200, response.content
    rows = {row["site_id"]: row for row in response.json()["data"]["sites"]}
    assert set(rows) == {first.pk, second.pk, third.pk}
    assert rows[first.pk]["failed_items"] == 1 and rows[first.pk]["last_run"]["status"] == "cancelled"
    assert rows[first.pk]["needs_attention"] is True
    assert (rows[second.pk]["credits_this_month"], rows[second.pk]["budget_left"]) == (9, 1)
    assert rows[third.pk]["review_queue"] == 1 and rows[third.pk]["needs_attention"] is False
    attention = viewer_client.get(f"{URL}?needs_attention=true").json()["data"]["sites"]
    assert [row["site_id"] for row in attention] == [first.pk]
    ordered = viewer_client.get(f"{URL}?ordering=-credits_this_month").json()["data"]["sites"]
    assert ordered[0]["site_id"] == second.pk
    assert viewer_client.get(f"{URL}?search=review").json()["data"]["count"] == 1
    others = other_client.get(URL).json()["data"]["sites"]
    assert [row["site_id"] for row in others] == [other_tenant.site.pk]
    assert_error_envelope(viewer_client.get(f"{URL}?ordering=nonsense"), 400)


def test_the_overview_shows_publishing_and_a_failed_publish_needs_attention(tenant, viewer_client):
    site = tenant.site
    due = timezone.now()
    states = {"scheduled": due, "publishing": due, "failed": due, "published": due}
    for state, when in states.items():
        content = make_content(site=site, title=state)
        Content.objects.filter(pk=content.pk).update(site_status=state, scheduled_publish_at=when)
    make_content(site=site, title="not sent yet")

    (row,) = viewer_client.get(URL).json()["data"]["sites"]

    assert row["publishing"] == {"scheduled": 2, "failed": 1, "published_this_month": 1}
    assert row["needs_attention"] is True


def test_a_broken_destination_needs_attention_and_a_fixed_one_no_longer(tenant, viewer_client):
    """A broken destination holds the site's publishing queue: nothing else shows that on the overview."""
    healthy = site_create(account=tenant.account, name="Healthy", domain="healthy.example.com")
    broken, fine = (
        destination_create(site=site, kind="webhook", url=f"https://{site.domain}/hook", secret="secret")
        for site in (tenant.site, healthy)
    )
    destination_record_health(destination_id=broken.pk, ok=False, error="401 from the receiver")
    destination_record_health(destination_id=fine.pk, ok=True)
    bare = site_create(account=tenant.account, name="No destination", domain="bare.example.com")

    rows = {row["site_id"]: row for row in viewer_client.get(URL).json()["data"]["sites"]}

    assert {site_id: row["destination"] for site_id, row in rows.items()} == {
        tenant.site.pk: "broken",
        healthy.pk: "ok",
        bare.pk: None,
    }
    attention = viewer_client.get(f"{URL}?needs_attention=true").json()["data"]["sites"]
    assert [row["site_id"] for row in attention] == [tenant.site.pk]
    destination_record_health(destination_id=broken.pk, ok=True)
    assert viewer_client.get(f"{URL}?needs_attention=true").json()["data"]["count"] == 0


def test_the_overview_answers_500_sites_in_the_same_number_of_queries_as_5(tenant, owner_client):
    agency(tenant)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(URL).status_code == 200
        return len(captured)

    few = queries()
    for number in range(497):
        site_create(account=tenant.account, name=f"Client {number}", domain=f"c{number}.example.com")
    many = queries()
    assert owner_client.get(URL).json()["data"]["count"] == 500
    assert many == few <= 12, (few, many)


def test_bulk_actions_act_on_each_selected_site_and_refuse_other_accounts_ids(
    tenant, other_tenant, owner_client, viewer_client, other_client
):
    second = site_create(account=tenant.account, name="Second", domain="second.example.com")
    for site in (tenant.site, second):
        quick_config(site)
        make_keywords(site=site, texts=SMALL_RUN_KEYWORDS)
    url = "/api/v1/automation/bulk/"
    body = {"action": "run_now", "site_ids": [tenant.site.pk, second.pk]}
    assert_error_envelope(viewer_client.post(url, body, format="json"), 403)
    assert_error_envelope(other_client.post(url, body, format="json"), 404)
    mixed = {"action": "pause", "site_ids": [tenant.site.pk, other_tenant.site.pk]}
    assert_error_envelope(owner_client.post(url, mixed, format="json"), 404)
    started = owner_client.post(url, body, format="json").json()["data"]["results"]
    assert [result["ok"] for result in started] == [True, True]
    paused = owner_client.post(url, {**body, "action": "pause"}, format="json").json()["data"]["results"]
    assert [result["ok"] for result in paused] == [True, True]
    resumed = owner_client.post(url, {**body, "action": "resume"}, format="json").json()["data"]["results"]
    assert [result["ok"] for result in resumed] == [True, True]
    retried = owner_client.post(url, {**body, "action": "retry_failed"}, format="json").json()["data"][
        "results"
    ]
    assert [result["code"] for result in retried] == ["nothing_to_retry", "nothing_to_retry"]
