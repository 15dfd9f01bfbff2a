"""Account A must never see, change or create into account B's objects."""

import pytest

from tests.factories import make_content, make_keywords
from writer.models import Content
from writer.services import image_prompts_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_objects(other_tenant):
    """One object of every kind in account B's site."""
    site = other_tenant.site
    keyword = make_keywords(site=site, texts=["foreign keyword"])[0]
    content = make_content(site=site, title="Foreign content")
    (image,) = image_prompts_create(content=content, prompts=["p"])
    task = content.task
    idea, cluster = task.idea, task.cluster
    return {
        "planner/keywords": keyword,
        "planner/clusters": cluster,
        "planner/ideas": idea,
        "writer/tasks": task,
        "writer/content": content,
        "writer/images": image,
    }


ENDPOINTS = [
    "planner/keywords",
    "planner/clusters",
    "planner/ideas",
    "writer/tasks",
    "writer/content",
    "writer/images",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_lists_hide_and_refuse_another_accounts_site(
    endpoint, owner_client, tenant, other_tenant, foreign_objects
):
    own = owner_client.get(f"/api/v1/{endpoint}/?site_id={tenant.site.pk}")
    assert own.status_code == 200 and own.json()["count"] == 0
    assert owner_client.get(f"/api/v1/{endpoint}/?site_id={other_tenant.site.pk}").status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_details_of_another_account_are_404(endpoint, owner_client, foreign_objects):
    pk = foreign_objects[endpoint].pk
    assert owner_client.get(f"/api/v1/{endpoint}/{pk}/").status_code == 404
    if endpoint not in ("writer/tasks", "writer/images"):
        assert owner_client.patch(f"/api/v1/{endpoint}/{pk}/", {}, format="json").status_code == 404


def test_cannot_create_delete_or_import_into_another_accounts_site(
    owner_client, other_tenant, foreign_objects
):
    site_id = other_tenant.site.pk
    created = owner_client.post(
        f"/api/v1/planner/keywords/?site_id={site_id}", {"keyword": "x"}, format="json"
    )
    assert created.status_code == 404
    deleted = owner_client.delete(f"/api/v1/planner/keywords/{foreign_objects['planner/keywords'].pk}/")
    assert deleted.status_code == 404
    csv_file = ("k.csv", b"keyword\nabc\n")
    from django.core.files.uploadedfile import SimpleUploadedFile

    imported = owner_client.post(
        f"/api/v1/planner/keywords/import_csv/?site_id={site_id}", {"file": SimpleUploadedFile(*csv_file)}
    )
    assert imported.status_code == 404
    bulk = owner_client.post(
        f"/api/v1/writer/content/bulk_update_status/?site_id={site_id}",
        {"ids": [foreign_objects["writer/content"].pk], "status": "review"},
        format="json",
    )
    assert bulk.status_code == 404
    assert Content.objects.get(pk=foreign_objects["writer/content"].pk).status == "draft"


def test_bulk_status_with_another_accounts_ids_changes_nothing(owner_client, tenant, foreign_objects):
    response = owner_client.post(
        f"/api/v1/writer/content/bulk_update_status/?site_id={tenant.site.pk}",
        {"ids": [foreign_objects["writer/content"].pk], "status": "review"},
        format="json",
    )
    assert response.status_code == 404
    assert Content.objects.get(pk=foreign_objects["writer/content"].pk).status == "draft"


def test_billing_shows_only_the_callers_account(owner_client, tenant, other_tenant):
    rows = owner_client.get("/api/v1/billing/transactions/").json()["results"]
    assert rows and all(row["balance_after"] == 10_000 for row in rows)
    assert len(rows) == 1
    assert owner_client.get(f"/api/v1/billing/usage/?site_id={other_tenant.site.pk}").status_code == 404


def test_viewer_reads_but_cannot_write(viewer_client, tenant):
    site_id = tenant.site.pk
    assert viewer_client.get(f"/api/v1/planner/keywords/?site_id={site_id}").status_code == 200
    response = viewer_client.post(
        f"/api/v1/planner/keywords/?site_id={site_id}", {"keyword": "x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_staff_may_act_across_accounts(other_tenant, foreign_objects):
    from tenancy.models import User
    from tests.conftest import client_for

    staff = User.objects.create_user("staff@example.com", "staff-password-1", is_staff=True)
    response = client_for(staff).get(f"/api/v1/planner/keywords/?site_id={other_tenant.site.pk}")
    assert response.status_code == 200 and response.json()["count"] == 1
