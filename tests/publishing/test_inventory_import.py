"""The inventory from the destination's REST API: a WordPress's published posts and pages."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from planner.inventory import knowledge_update
from planner.models import PageSource, SitePage
from publishing.inventory import destination_pages_import, destination_pages_import_due
from publishing.services import destination_create, destination_record_health
from tests.conftest import assert_error_envelope
from tests.http_servers import Answer, LocalServer

pytestmark = pytest.mark.django_db


class FakeWordPress:
    """Answers the listing routes of the WordPress REST API from `items` (route -> list of dicts)."""

    def __init__(self, items: dict):
        self.items = items

    def __call__(self, method, path, headers, body):
        query = parse_qs(urlsplit(path).query)
        route, page = query["rest_route"][0], int(query["page"][0])
        listed = self.items.get(route, [])[(page - 1) * 100 : page * 100]
        if page > 1 and not listed:
            error = {"code": "rest_post_invalid_page_number", "message": "The page number is too large."}
            return Answer(
                status=400, body=json.dumps(error).encode(), headers={"Content-Type": "application/json"}
            )
        return Answer(body=json.dumps(listed).encode(), headers={"Content-Type": "application/json"})


def item(slug: str, title: str) -> dict:
    return {
        "link": f"https://blog.test/{slug}/",
        "title": {"rendered": title},
        "excerpt": {"rendered": f"<p>About {title.lower()}&hellip;</p>"},
    }


def test_import_lists_posts_and_pages_then_removes_those_gone(owner_client, other_client, tenant):
    posts = [item(f"post-{number}", f"Post &#8220;{number}&#8221;") for number in range(150)]
    wordpress = FakeWordPress({"/wp/v2/posts": posts, "/wp/v2/pages": [item("about", "About us")]})
    url = f"/api/v1/planner/inventory/import_destination/?site_id={tenant.site.pk}"
    assert_error_envelope(owner_client.post(url), 400, "no_destination")
    with LocalServer(wordpress) as server:
        destination_create(
            site=tenant.site, kind="wordpress", url=server.url, username="editor", secret="app pass"
        )
        first = owner_client.post(url)
        assert first.json()["data"] == {"created": 151, "updated": 0, "removed": 0}
        wordpress.items["/wp/v2/posts"] = posts[1:]
        assert owner_client.post(url).json()["data"] == {"created": 0, "updated": 150, "removed": 1}
    page = SitePage.objects.get(site=tenant.site, url="https://blog.test/post-7/")
    assert (page.source, page.title, page.summary, page.http_status) == (
        PageSource.DESTINATION,
        "Post \u201c7\u201d",
        "About post \u201c7\u201d\u2026",
        200,
    )
    assert_error_envelope(other_client.post(url), 404)


def test_once_imported_the_beat_imports_a_destinations_pages_again_each_refresh_period(tenant):
    wordpress = FakeWordPress({"/wp/v2/posts": [item("first", "First post")]})
    with LocalServer(wordpress) as server:
        destination = destination_create(
            site=tenant.site, kind="wordpress", url=server.url, username="editor", secret="app pass"
        )
        knowledge_update(site=tenant.site, fields={"refresh_hours": 6})
        later = timezone.now() + timedelta(hours=7)
        assert destination_pages_import_due(now=later) == {"imported": 0, "failed": 0}  # never imported

        destination_pages_import(site=tenant.site)
        wordpress.items["/wp/v2/posts"].append(item("second", "Second post"))
        assert destination_pages_import_due(now=later - timedelta(hours=2)) == {"imported": 0, "failed": 0}
        assert destination_pages_import_due(now=later) == {"imported": 1, "failed": 0}
        assert destination_pages_import_due(now=later) == {"imported": 0, "failed": 0}  # claimed
        urls = set(SitePage.objects.filter(site=tenant.site).values_list("url", flat=True))
        assert urls == {"https://blog.test/first/", "https://blog.test/second/"}

        wordpress.items = {"/wp/v2/posts": "not a list"}
        assert destination_pages_import_due(now=later + timedelta(hours=6)) == {"imported": 0, "failed": 1}
        destination.refresh_from_db()
        assert destination.pages_import_error.startswith("destination_unreachable: ")
        assert SitePage.objects.filter(site=tenant.site).count() == 2  # kept as they were

        destination_record_health(destination_id=destination.pk, ok=False, error="401")
        assert destination_pages_import_due(now=later + timedelta(days=30)) == {"imported": 0, "failed": 0}
