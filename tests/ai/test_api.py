import pytest

from tests.conftest import client_for
from tests.factories import make_account, make_keywords

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline")]
ACTIONS = [
    "planner/keywords/auto_cluster",
    "planner/clusters/generate_ideas",
    "planner/ideas/queue_to_writer",
    "writer/tasks/generate_content",
    "writer/content/generate_image_prompts",
    "writer/images/generate_images",
]


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_refuse_bad_input_other_accounts_and_viewers(
    action, owner_client, viewer_client, tenant, other_tenant
):
    site_id = tenant.site.pk
    assert (
        owner_client.post(f"/api/v1/{action}/", {"ids": [1]}, format="json").json()["code"]
        == "site_id_required"
    )
    assert (
        owner_client.post(
            f"/api/v1/{action}/?site_id={other_tenant.site.pk}", {"ids": [1]}, format="json"
        ).status_code
        == 404
    )
    empty = owner_client.post(f"/api/v1/{action}/?site_id={site_id}", {"ids": []}, format="json")
    assert empty.status_code == 400 and "ids" in empty.json()["errors"]
    unknown = owner_client.post(f"/api/v1/{action}/?site_id={site_id}", {"ids": [999999]}, format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid_ids"
    assert (
        viewer_client.post(f"/api/v1/{action}/?site_id={site_id}", {"ids": [1]}, format="json").status_code
        == 403
    )


def test_insufficient_credits_is_a_400_with_the_numbers_before_any_work(db):
    tenant = make_account(credits=1)
    owner, site = tenant.owner, tenant.site
    ids = [k.pk for k in make_keywords(site=site, texts=[f"solar keyword {n}" for n in range(10)])]
    response = client_for(owner).post(
        f"/api/v1/planner/keywords/auto_cluster/?site_id={site.pk}", {"ids": ids}, format="json"
    )
    body = response.json()
    assert response.status_code == 400 and body["code"] == "insufficient_credits"
    assert (body["required"], body["available"]) == (2, 1)


def test_unknown_task_and_logs_need_a_site(owner_client):
    assert owner_client.get("/api/v1/ai/tasks/not-a-task/").status_code == 404
    assert owner_client.get("/api/v1/ai/logs/").json()["code"] == "site_id_required"
