"""A marketer connects WordPress, verifies it, publishes an article and opens the live post."""

import uuid

import pytest

from tests.browser.a11y import check_accessibility
from tests.browser.conftest import wait_until
from tests.factories import PASSWORD, make_account
from tests.publishing.conftest import make_reviewed_article
from writer.models import Content

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_marketer_sets_up_wordpress_verifies_publishes_and_opens_the_live_post(
    screen, browser_worker, wordpress
):
    created = make_account(credits=10, name="Moon Marketing")
    title = f"Moonlight hiking {uuid.uuid4().hex[:6]}"
    article = make_reviewed_article(site=created.site, title=title, in_article=1)
    me = screen("publisher")
    me.login(created.owner.email, PASSWORD)
    page = me.page
    assert page.locator("#destination-health").inner_text() == "Publishing: not set up"

    # A wrong password first: Verify says exactly that, and the header shows the destination broken.
    page.click("nav >> text=Publishing")
    page.wait_for_selector("#destination-form[data-loaded=true]")
    page.select_option("#dst-kind", "wordpress")
    page.fill("#dst-url", wordpress.url)
    page.fill("#dst-username", wordpress.username())
    page.fill("#dst-secret", "not the application password")
    page.select_option("#dst-post_status", "publish")
    page.click("text=Save destination")
    page.wait_for_selector(".message.success >> text=Destination saved")
    page.click("#verify-destination")
    page.wait_for_selector("#verify-result[data-code=wrong_password]")
    assert "broken" in page.locator("#destination-health").inner_text()
    me.shot("01-verify-wrong-password")

    page.click("#messages button")  # dismiss the first save's message, so the next one is new
    page.fill("#dst-secret", wordpress.password())
    page.click("text=Save destination")
    page.wait_for_selector(".message.success >> text=Destination saved")
    page.click("#verify-destination")
    page.wait_for_selector("#verify-result[data-code=ok]")
    assert page.locator("#destination-health").inner_text() == "Publishing: wordpress ok"
    me.shot("02-verified")

    # The review queue: select the article, publish it now.
    page.click("nav >> text=Review")
    page.wait_for_selector(f"#pick-{article.pk}")
    page.check(f"#pick-{article.pk}")
    page.click("#review-form button[data-publish=now]")
    page.wait_for_selector(".message.success >> text=sent to the site")

    # The publishing list shows it published, with the live post's link, which opens the post.
    wait_until(
        lambda: Content.objects.get(pk=article.pk).site_status == "published",
        timeout=90,
        message="the worker to publish the article",
    )
    page.click("nav >> text=Publishing")
    page.select_option("#publish-filter", "published")
    link = page.locator(f'tr[data-content-id="{article.pk}"] a.live-link')
    link.wait_for()
    me.shot("03-published-list")
    check_accessibility(me)
    live = page.context.new_page()
    live.goto(link.get_attribute("href"))
    assert title in live.content()
    assert Content.objects.get(pk=article.pk).site_status == "published"
    assert me.errors == []
