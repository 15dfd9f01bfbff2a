"""POST content/add_links/: links for articles already written, never twice the same."""

import pytest

from ai import offline
from ai.tasks import add_links_task
from planner.models import PageSource, SitePage
from tests.conftest import assert_error_envelope
from tests.factories import make_cluster, make_idea
from writer.models import Content
from writer.services import ArticleFields, content_create_for_task, content_update, ideas_queue_to_writer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline")]
URL = "/api/v1/writer/content/add_links/"
PAGES = {
    "https://client.example/grinders": "Best coffee grinder picks",
    "https://client.example/cold-brew": "Cold brew coffee ratio chart",
    "https://client.example/crates": "Crate training a puppy",
}


def written_article(site, keyword: str) -> Content:
    """An article as the offline provider writes it, before the site had pages to link to."""
    cluster = make_cluster(site=site, name=keyword, keywords=[keyword])
    (task,) = ideas_queue_to_writer(
        site=site, idea_ids=[make_idea(cluster=cluster, title=keyword.title()).pk]
    )
    answer = offline.article(
        title=task.title,
        primary_keyword=keyword,
        secondary_keywords=[],
        brief="",
        word_count=400,
        content_structure="article",
    )
    fields = ArticleFields(title=answer["title"], content_html=answer["content_html"], word_count=400)
    content = content_create_for_task(site=task.site, task=task, article=fields)
    return content_update(content=content, fields={"primary_keyword": keyword})


@pytest.fixture
def articles(tenant):
    for url, title in PAGES.items():
        SitePage.objects.create(
            account=tenant.account,
            site=tenant.site,
            url=url,
            title=title,
            source=PageSource.SITEMAP,
            http_status=200,
        )
    return [
        written_article(tenant.site, keyword) for keyword in ("best coffee grinder", "cold brew coffee ratio")
    ]


def test_a_few_articles_are_linked_during_the_request_and_a_second_call_adds_nothing(
    tenant, owner_client, articles
):
    ids = [article.pk for article in articles]

    response = owner_client.post(f"{URL}?site_id={tenant.site.pk}", {"ids": ids}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["data"] == {"requested": 2, "linked": 2, "links_added": 2, "skipped": 0}
    listed = owner_client.get(f"/api/v1/writer/content/?site_id={tenant.site.pk}").json()["results"]
    assert [[link["url"] for link in item["links"]] for item in listed] == [
        ["https://client.example/grinders"],
        ["https://client.example/cold-brew"],
    ]
    before = list(Content.objects.filter(pk__in=ids).values_list("content_html", "links"))
    again = owner_client.post(f"{URL}?site_id={tenant.site.pk}", {"ids": ids}, format="json")
    assert again.json()["data"] == {"requested": 2, "linked": 0, "links_added": 0, "skipped": 2}
    assert list(Content.objects.filter(pk__in=ids).values_list("content_html", "links")) == before


def test_published_articles_are_left_as_they_are(tenant, owner_client, articles):
    published = content_update(content=articles[0], fields={"status": "review"})
    content_update(content=published, fields={"status": "published"})

    response = owner_client.post(f"{URL}?site_id={tenant.site.pk}", {"ids": [published.pk]}, format="json")

    assert response.json()["data"] == {"requested": 1, "linked": 0, "links_added": 0, "skipped": 1}
    assert Content.objects.get(pk=published.pk).links == []


def test_a_whole_site_is_linked_by_a_task(tenant, owner_client, articles):
    assert add_links_task(tenant.site.pk, None) == {
        "requested": 2,
        "linked": 2,
        "links_added": 2,
        "skipped": 0,
    }


def test_bad_requests_and_another_accounts_articles(
    tenant, owner_client, other_client, other_tenant, articles
):
    site_id = tenant.site.pk
    for body in ({}, {"ids": [articles[0].pk], "all": True}, {"ids": []}, {"all": False}):
        assert_error_envelope(owner_client.post(f"{URL}?site_id={site_id}", body, format="json"), 400)
    theirs = other_client.post(
        f"{URL}?site_id={other_tenant.site.pk}", {"ids": [articles[0].pk]}, format="json"
    )
    assert_error_envelope(theirs, 404, "not_found")
    assert_error_envelope(other_client.post(f"{URL}?site_id={site_id}", {"all": True}, format="json"), 404)
