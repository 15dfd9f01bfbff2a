"""Stage 4's links: offered to the model and checked in its answer, or placed by the offline provider."""

import pytest

from ai.engine import function_start, run_function
from planner.models import PageSource, SitePage
from tests.factories import make_account, make_cluster, make_idea
from writer.models import Content
from writer.services import ideas_queue_to_writer

pytestmark = pytest.mark.django_db

GRINDERS = "https://client.example/grinders"
COLD_BREW = "https://client.example/cold-brew"


def site_with_pages():
    tenant = make_account(credits=10_000)
    site = tenant.site
    for url, title in ((GRINDERS, "Best coffee grinder picks"), (COLD_BREW, "Cold brew coffee ratio chart")):
        SitePage.objects.create(
            account=site.account, site=site, url=url, title=title, source=PageSource.SITEMAP, http_status=200
        )
    cluster = make_cluster(
        site=site, name="Coffee", keywords=["best coffee grinder", "cold brew coffee ratio"]
    )
    (task,) = ideas_queue_to_writer(
        site=site, idea_ids=[make_idea(cluster=cluster, title="Best Coffee Grinder: Our Top Picks").pk]
    )
    return tenant, task


def answer_with(content_html: str) -> dict:
    return {
        "title": "Best Coffee Grinder",
        "content_html": content_html,
        "meta_title": "Best Coffee Grinder",
        "meta_description": "Grinders compared.",
        "primary_keyword": "best coffee grinder",
        "secondary_keywords": [],
        "tags": [],
        "categories": [],
    }


# The model's links: one to a heading, one to an offered page, one repeated, one invented.
LINKED_HTML = (
    f'<h2>The <a href="{GRINDERS}">best grinder</a></h2>'
    f'<p>Our <a href="{GRINDERS}">best coffee grinder picks</a>'
    f' and <a href="{GRINDERS}">again</a>.</p>'
    '<p>A <a href="https://invented.example/page">made-up page</a>.</p>'
)


def test_only_the_models_links_to_offered_pages_are_kept_the_others_become_text(fake_openai):
    tenant, task = site_with_pages()
    fake_openai.configure(respond_next=[answer_with(LINKED_HTML)])

    run_function("generate_content", {"ids": [task.pk]}, account=tenant.account, site=tenant.site)

    content = Content.objects.get(task=task)
    assert content.links == [{"url": GRINDERS, "anchor": "best coffee grinder picks"}]
    assert content.content_html == (
        "<h2>The best grinder</h2>"
        f'<p>Our <a href="{GRINDERS}">best coffee grinder picks</a> and again.</p>'
        "<p>A made-up page.</p>"
    )


def test_the_call_reviews_the_answer_as_its_article_is_stored(fake_openai):
    """The call's thread checks the answer with its links checked: the save finds it of its text."""
    tenant, task = site_with_pages()
    fake_openai.configure(respond_next=[answer_with(LINKED_HTML)])
    calls = function_start("generate_content", {"ids": [task.pk]}, account=tenant.account, site=tenant.site)
    (unit,) = calls.units

    outcome = calls.call(unit)
    calls.finish(outcome)

    content = Content.objects.get(task=task)
    assert "invented.example" not in content.content_html
    assert outcome.answer.review.text_digest == content.quality["text_digest"]


def test_the_offline_provider_links_the_article_to_its_subjects_pages(offline):
    tenant, task = site_with_pages()

    run_function("generate_content", {"ids": [task.pk]}, account=tenant.account, site=tenant.site)

    content = Content.objects.get(task=task)
    assert [link["url"] for link in content.links] == [GRINDERS]
    link = content.links[0]
    assert f'<a href="{GRINDERS}">{link["anchor"]}</a>' in content.content_html
    assert content.content_html.count("<a ") == 1
