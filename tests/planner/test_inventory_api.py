"""The inventory, knowledge and release endpoints."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from devtools.site_pages import SitemapServer
from planner.models import ContentIdea, IdeaStatus
from tests.conftest import assert_error_envelope
from tests.factories import make_cluster, make_idea

pytestmark = pytest.mark.django_db


def test_sitemap_import_then_list_with_filters(owner_client, other_client, tenant):
    base = f"/api/v1/planner/inventory/?site_id={tenant.site.pk}"
    with SitemapServer() as site_server:
        response = owner_client.post(
            f"/api/v1/planner/inventory/import/?site_id={tenant.site.pk}",
            {"sitemap_url": site_server.sitemap_url, "include_patterns": ["/gardening/*"]},
            format="json",
        )
    assert response.status_code == 200
    assert response.json()["data"] | {"errors": []} == {
        "source": "sitemap",
        "created": 50,
        "updated": 0,
        "removed": 0,
        "skipped": 0,
        "errors": [],
    }
    listed = owner_client.get(base + "&source=sitemap&search=compost").json()
    assert listed["count"] == 5 and all("compost" in row["url"] for row in listed["results"])
    knowledge = owner_client.get(f"/api/v1/planner/knowledge/?site_id={tenant.site.pk}").json()["data"]
    assert knowledge["sitemap_url"] == site_server.sitemap_url and knowledge["include_patterns"] == [
        "/gardening/*"
    ]
    assert_error_envelope(other_client.get(base), 404)


def test_csv_upload_imports_pages_and_a_csv_without_url_is_refused(owner_client, tenant):
    url = f"/api/v1/planner/inventory/import/?site_id={tenant.site.pk}"
    good = SimpleUploadedFile("pages.csv", b"url,title,summary\nhttps://a.test/x,X,About x\n", "text/csv")
    bad = SimpleUploadedFile("pages.csv", b"title,summary\nX,About x\n", "text/csv")
    assert owner_client.post(url, {"file": good}, format="multipart").json()["data"]["created"] == 1
    assert_error_envelope(owner_client.post(url, {"file": bad}, format="multipart"), 400, "missing_header")


def test_bad_or_private_sitemap_urls_are_clear_400s(owner_client, tenant, settings):
    url = f"/api/v1/planner/inventory/import/?site_id={tenant.site.pk}"
    assert_error_envelope(owner_client.post(url, {"sitemap_url": "not a url"}, format="json"), 400)
    settings.ALLOW_PRIVATE_URLS = False
    refused = owner_client.post(url, {"sitemap_url": "http://127.0.0.1:1/sitemap.xml"}, format="json")
    assert_error_envelope(refused, 400, "url_not_allowed")


def test_refresh_is_queued(owner_client, viewer_client, tenant):
    url = f"/api/v1/planner/inventory/refresh/?site_id={tenant.site.pk}"
    response = owner_client.post(url)
    assert response.status_code == 202 and response.json()["data"]["task_id"]
    assert viewer_client.post(url).status_code == 403


def test_knowledge_patch_validates_bounds(owner_client, editor_client, other_client, tenant):
    url = f"/api/v1/planner/knowledge/?site_id={tenant.site.pk}"
    assert_error_envelope(editor_client.patch(url, {"links_per_article": 5}, format="json"), 403)
    patched = owner_client.patch(url, {"duplicate_threshold": 0.8, "links_per_article": 5}, format="json")
    assert patched.status_code == 200 and patched.json()["data"]["duplicate_threshold"] == 0.8
    assert_error_envelope(owner_client.patch(url, {"duplicate_threshold": 2}, format="json"), 400)
    assert_error_envelope(other_client.patch(url, {"refresh_hours": 3}, format="json"), 404)


def test_release_endpoint_moves_held_back_ideas_to_new(owner_client, other_client, tenant):
    idea = make_idea(cluster=make_cluster(site=tenant.site, name="Dogs"), title="Crate training basics")
    ContentIdea.objects.filter(pk=idea.pk).update(
        status=IdeaStatus.DUPLICATE, duplicate_of_url="https://a.test/crate", duplicate_score=0.91
    )
    listed = owner_client.get(f"/api/v1/planner/ideas/?site_id={tenant.site.pk}&status=duplicate").json()
    assert listed["results"][0]["duplicate_of"] == {"url": "https://a.test/crate", "score": 0.91}
    url = "/api/v1/planner/ideas/release/?site_id={}"
    assert_error_envelope(
        other_client.post(url.format(tenant.site.pk), {"ids": [idea.pk]}, format="json"), 404
    )
    response = owner_client.post(url.format(tenant.site.pk), {"ids": [idea.pk]}, format="json")
    assert response.json()["data"] == {"released": 1}
    assert ContentIdea.objects.get(pk=idea.pk).status == IdeaStatus.NEW
