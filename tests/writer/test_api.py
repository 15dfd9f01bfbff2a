import pytest

from tests.factories import make_content
from writer.models import Content

pytestmark = pytest.mark.django_db


@pytest.fixture
def contents(tenant):
    return [make_content(site=tenant.site, title=f"Article {n}") for n in range(3)]


def test_bulk_update_status_moves_drafts_to_review(editor_client, tenant, contents):
    response = editor_client.post(
        f"/api/v1/writer/content/bulk_update_status/?site_id={tenant.site.pk}",
        {"ids": [contents[0].pk, contents[1].pk], "status": "review"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["data"] == {"updated": 2}
    assert list(Content.objects.order_by("id").values_list("status", flat=True)) == [
        "review",
        "review",
        "draft",
    ]


def test_draft_cannot_jump_to_published(editor_client, tenant, contents):
    response = editor_client.post(
        f"/api/v1/writer/content/bulk_update_status/?site_id={tenant.site.pk}",
        {"ids": [contents[0].pk], "status": "published"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_transition"
    patched = editor_client.patch(
        f"/api/v1/writer/content/{contents[0].pk}/", {"status": "published"}, format="json"
    )
    assert patched.status_code == 400
    assert Content.objects.get(pk=contents[0].pk).status == "draft"


def test_content_detail_includes_images_and_patch_edits_text(editor_client, contents):
    response = editor_client.patch(
        f"/api/v1/writer/content/{contents[0].pk}/", {"title": "Better"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["title"] == "Better"
    assert response.json()["data"]["images"] == []


def test_viewer_cannot_change_content(viewer_client, contents):
    assert viewer_client.patch(f"/api/v1/writer/content/{contents[0].pk}/", {"title": "x"}).status_code == 403
