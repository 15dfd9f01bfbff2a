"""An agency's morning on /dashboard/sites/: which sites need attention, and retry their failures."""

import pytest

from automation.models import AutomationRun
from publishing.services import destination_create, destination_record_health
from tests.automation.test_overview import agency
from tests.browser.a11y import check_accessibility
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agency_sees_every_site_and_retries_the_failed_items_of_one(screen, tenant):
    failing, budget, review = agency(tenant)
    destination = destination_create(
        site=review, kind="webhook", url="https://hooks.example.com/in", secret="s3cret"
    )
    destination_record_health(destination_id=destination.pk, ok=False, error="401 from the receiver")
    me = screen("agency")
    me.login(tenant.owner.email, PASSWORD)
    page = me.page
    page.click("nav >> text=All sites")
    page.wait_for_selector("table.sites tbody tr")
    rows = page.locator("table.sites tbody tr")
    assert rows.count() == 3
    # Failed items, and a broken destination holding the publishing queue.
    attention = page.locator("tr.attention")
    flagged = {attention.nth(n).get_attribute("data-site-id") for n in range(attention.count())}
    assert flagged == {str(failing.pk), str(review.pk)}
    assert "9 / 10" in page.locator(f'tr[data-site-id="{budget.pk}"]').inner_text()
    assert "broken" in page.locator(f'tr[data-site-id="{review.pk}"]').inner_text()
    assert "no destination" in page.locator(f'tr[data-site-id="{budget.pk}"]').inner_text()
    me.shot("01-all-sites")
    check_accessibility(me)

    page.click("text=Credits this month / budget")
    page.wait_for_url("**ordering=credits_this_month**")
    assert page.locator("table.sites tbody tr").first.get_attribute("data-site-id") == str(review.pk)
    page.check("input[name=needs_attention]")
    page.click("button:text('Filter')")
    page.wait_for_url("**needs_attention=true**")
    assert page.locator("table.sites tbody tr").count() == 2

    page.check(f'input[name=site_ids][value="{failing.pk}"]')
    page.click("button[data-bulk=retry_failed]")
    page.wait_for_selector("#messages .message")
    assert "retry_failed: 1 of 1 site(s)" in page.inner_text("#messages")
    me.shot("02-retry-started")
    retry = AutomationRun.objects.get(site=failing, item_filter__has_key="4")
    assert retry.status == "running" and retry.current_stage == 4
    assert me.errors == []
