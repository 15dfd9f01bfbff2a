"""Choosing the pages an article links to: relevant, answering 200, with a URL, never itself."""

import pytest

from ai.links import link_candidates, links_per_article
from planner.inventory import generated_page_publish
from planner.models import PageSource, SiteKnowledge, SitePage
from tests.factories import make_content

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline")]

COFFEE = [
    ("https://client.example/cold-brew-guide", "Cold brew coffee: a beginner's guide"),
    ("https://client.example/cold-brew-ratio", "Cold brew coffee ratio explained step by step"),
    ("https://client.example/cold-brew-mistakes", "7 common mistakes with cold brew coffee"),
]
DOGS = [
    ("https://client.example/crate-training", "Crate training a puppy: a beginner's guide"),
    ("https://client.example/leash-walking", "Leash walking explained step by step"),
]


def add_page(site, url, title, *, status=200, source=PageSource.SITEMAP, content_id=None):
    return SitePage.objects.create(
        account=site.account,
        site=site,
        url=url,
        title=title,
        source=source,
        http_status=status,
        content_id=content_id,
    )


def test_only_pages_of_the_articles_topic_that_answered_200_are_candidates(tenant):
    site = tenant.site
    for url, title in COFFEE + DOGS:
        add_page(site, url, title)
    add_page(site, "https://client.example/cold-brew-gone", "Cold brew coffee recipes", status=404)
    add_page(site, "https://client.example/cold-brew-unchecked", "Cold brew coffee at home", status=None)
    add_page(site, "", "Cold brew coffee ideas, not published", source=PageSource.GENERATED, status=None)

    candidates = link_candidates(site=site, text="How to make cold brew coffee. cold brew coffee", limit=10)

    assert {candidate.url for candidate in candidates} == {url for url, _ in COFFEE}
    assert [candidate.score for candidate in candidates] == sorted(
        (candidate.score for candidate in candidates), reverse=True
    )


def test_published_sibling_articles_are_candidates_but_the_article_itself_is_not(tenant):
    site = tenant.site
    sibling = make_content(site=site, title="Cold brew coffee ratio explained")
    itself = make_content(site=site, title="How to make cold brew coffee")
    # Each article has its generated inventory entry; publishing gives it the URL.
    generated_page_publish(content_id=sibling.pk, url="https://client.example/blog/ratio")
    generated_page_publish(content_id=itself.pk, url="https://client.example/blog/how-to")

    candidates = link_candidates(site=site, text=itself.title, limit=3, content_id=itself.pk)

    assert [candidate.url for candidate in candidates] == ["https://client.example/blog/ratio"]


def test_the_limit_keeps_the_best_and_zero_turns_links_off(tenant):
    site = tenant.site
    for url, title in COFFEE:
        add_page(site, url, title)
    text = "Cold brew coffee ratio explained"

    assert [c.url for c in link_candidates(site=site, text=text, limit=1)] == [COFFEE[1][0]]
    assert link_candidates(site=site, text=text, limit=0) == []
    assert links_per_article(site=site) == 3
    SiteKnowledge.objects.create(account=site.account, site=site, links_per_article=0)
    assert links_per_article(site=site) == 0
