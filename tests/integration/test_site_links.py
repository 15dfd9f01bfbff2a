"""A run on a site with inventory pages: every article links to live pages of its subject."""

import pytest

from ai.linking import url_key
from ai.models import AITaskLog
from planner.models import PageSource, SiteKnowledge, SitePage
from tests.integration.pipeline import setup_site, start_run, wait_until_ended
from tests.waiting import wait_for
from writer.models import Content

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LIVE = {
    "https://client.example/running-shoes": "Best running shoes for every runner",
    "https://client.example/trail-shoes": "Trail running shoes: how to choose",
    "https://client.example/flat-feet": "Running shoes for flat feet, fitted right",
    "https://client.example/marathon-plan": "Marathon training plan for a first race",
    "https://client.example/half-marathon": "Half marathon training schedule, week by week",
    "https://client.example/cold-brew": "Cold brew coffee ratio chart",
    "https://client.example/cold-brew-how": "How to make cold brew coffee in a jar",
    "https://client.example/grinders": "Best coffee grinder picks",
    "https://client.example/espresso": "Espresso machine reviews",
    "https://client.example/pour-over": "Pour over coffee guide for beginners",
}
DEAD = {"https://client.example/old-cold-brew": "Cold brew coffee ratio (archived)"}


def add_pages(site, pages: dict, *, status: int):
    for url, title in pages.items():
        SitePage.objects.create(
            account=site.account,
            site=site,
            url=url,
            title=title,
            source=PageSource.SITEMAP,
            http_status=status,
        )


def test_a_run_gives_each_article_valid_internal_links_in_the_content_api(fake_openai, worker):
    account, site, client = setup_site()
    add_pages(site, LIVE, status=200)
    add_pages(site, DEAD, status=404)

    run = wait_until_ended(start_run(client, site))

    assert run.status == "completed", run.error_message
    response = client.get(f"/api/v1/writer/content/?site_id={site.pk}&page_size=100")
    articles = response.json()["results"]
    assert articles
    for article in articles:
        links = article["links"]
        assert 1 <= len(links) <= 3, article["title"]
        assert len({url_key(link["url"]) for link in links}) == len(links)
        for link in links:
            assert link["url"] in LIVE
            assert f'<a href="{link["url"]}">{link["anchor"]}</a>' in article["content_html"]
        assert article["content_html"].count("<a ") == len(links)
    # The local server answers from the prompt alone: links in its answers mean the prompt named the pages.
    # Each article's query and the pages' vectors were embedded for it, and are filed under its run.
    embedded = AITaskLog.objects.filter(site=site, function__in=["embed_link_query", "embed_site_pages"])
    assert set(embedded.values_list("automation_run_id", "status")) == {(run.run_id, "success")}
    queries = embedded.filter(function="embed_link_query")
    assert queries.count() == len(articles) and set(queries.values_list("stage", flat=True)) == {4}


def test_the_backfill_links_a_whole_sites_articles_in_a_worker(fake_openai, worker):
    account, site, client = setup_site()
    SiteKnowledge.objects.create(account=account, site=site, links_per_article=0)
    assert wait_until_ended(start_run(client, site)).status == "completed"
    assert not any(Content.objects.filter(site=site).values_list("links", flat=True))
    add_pages(site, LIVE, status=200)
    SiteKnowledge.objects.filter(site=site).update(links_per_article=2)

    response = client.post(
        f"/api/v1/writer/content/add_links/?site_id={site.pk}", {"all": True}, format="json"
    )

    assert response.status_code == 202, response.json()
    status_url = response.json()["data"]["status_url"]
    state = wait_for(
        lambda: (data := client.get(status_url).json()["data"])["state"] in ("SUCCESS", "FAILURE") and data,
        timeout=60,
        what="the backfill task to end",
    )
    assert state["state"] == "SUCCESS", state
    contents = list(Content.objects.filter(site=site))
    assert state["result"]["linked"] == len(contents) > 0
    for content in contents:
        assert 1 <= len(content.links) <= 2
        assert all(link["url"] in LIVE for link in content.links)
        assert content.content_html.count("<a ") == len(content.links)
