"""A site with an imported sitemap and a voice, run by a real worker: the ideas that duplicate its
pages are held back, and its articles link to live pages of their topic, keep its terms and reach
review with a quality score (issue 23's "done when")."""

from urllib.parse import urlsplit

import pytest

from devtools.site_pages import SitemapServer
from planner.models import ContentIdea, IdeaStatus, SiteKnowledge, SitePage
from planner.terms import terms_found, terms_missing
from tests.factories import make_keywords
from tests.integration.pipeline import setup_site, start_run, wait_until_ended
from tests.waiting import wait_for
from writer.article_html import article_parts
from writer.models import Content, Task

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
VOICE = {"required_terms": ["Acme Outdoors"], "banned_terms": ["guaranteed", "cheap"], "reading_level": 8}


def test_a_run_on_a_known_site_holds_back_duplicates_links_keeps_the_voice_and_scores_articles(start_worker):
    start_worker(AI_PROVIDER="offline")
    account, site, client = setup_site()
    # Subjects the site already has pages on, next to the pipeline's running and coffee keywords.
    make_keywords(
        site=site,
        texts=[
            "kettlebell swings for beginners",
            "kettlebell swing mistakes",
            "crate training a puppy",
            "crate training mistakes",
        ],
    )
    with SitemapServer() as site_server:
        imported = client.post(
            f"/api/v1/planner/inventory/import/?site_id={site.pk}",
            {"sitemap_url": site_server.sitemap_url, "exclude_patterns": ["*/moved-to-our-shop/"]},
            format="json",
        )
        assert imported.status_code == 200, imported.json()
        assert client.post(f"/api/v1/planner/inventory/refresh/?site_id={site.pk}").status_code == 202
        wait_for(
            lambda: SiteKnowledge.objects.get(site=site).refreshed_at,
            timeout=120,
            what="the inventory refresh to finish",
        )
    assert SitePage.objects.filter(site=site, http_status=200).count() == len(site_server.dataset.live_pages)
    assert client.patch(f"/api/v1/planner/voice/?site_id={site.pk}", VOICE, format="json").status_code == 200

    run = wait_until_ended(start_run(client, site), timeout=300)
    assert run.status == "completed", run.error_message
    held = ContentIdea.objects.filter(site=site, status=IdeaStatus.DUPLICATE)
    assert (
        held.exists() and ContentIdea.objects.filter(site=site).exclude(status=IdeaStatus.DUPLICATE).exists()
    )
    assert run.stage_2_result["ideas_held_back"] == held.count()
    assert any(idea.duplicate_of_url.startswith(site_server.url + "/home-fitness/") for idea in held)
    assert any(idea.duplicate_of_url.startswith(site_server.url + "/dog-training/") for idea in held)
    assert all(idea.duplicate_score >= 0.65 for idea in held)
    assert not held.filter(idea_title__iregex="running|marathon").exists()
    assert not Task.objects.filter(idea__in=held).exists()
    assert_articles_know_their_site(site, site_server)

    listed = client.get(f"/api/v1/planner/ideas/?site_id={site.pk}&status=duplicate").json()["results"]
    assert {row["duplicate_of"]["url"] for row in listed} == set(
        held.values_list("duplicate_of_url", flat=True)
    )
    ids = list(held.values_list("pk", flat=True))
    released = client.post(f"/api/v1/planner/ideas/release/?site_id={site.pk}", {"ids": ids}, format="json")
    assert released.json()["data"] == {"released": len(ids)}
    assert set(ContentIdea.objects.filter(pk__in=ids).values_list("status", flat=True)) == {IdeaStatus.NEW}
    generated = SitePage.objects.filter(site=site, source="generated").count()
    assert generated == Task.objects.filter(site=site).count() > 0


def assert_articles_know_their_site(site, site_server):
    dataset, contents = site_server.dataset, list(Content.objects.filter(site=site))
    live = {site_server.page_url(page) for page in dataset.live_pages}
    assert contents and all(content.status == "review" for content in contents)
    for content in contents:
        text = "\n".join([content.title, *article_parts(content.content_html).blocks])
        assert (
            terms_missing(text, VOICE["required_terms"]) == []
            and terms_found(text, VOICE["banned_terms"]) == []
        )
        assert content.quality["checked"] == "full" and 0 <= content.quality["score"] <= 100
        assert all(link["url"] in live for link in content.links), content.links
    linked = {content.title: content.links for content in contents if content.links}
    # The held-back fitness and dog ideas wrote nothing; the coffee articles link to coffee pages.
    coffee = [links for title, links in linked.items() if "coffee" in title.lower()]
    assert coffee, sorted(linked)
    for links in coffee:
        assert {dataset.topic_of(urlsplit(link["url"]).path) for link in links} == {"coffee brewing"}
