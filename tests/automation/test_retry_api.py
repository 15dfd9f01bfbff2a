"""`GET automation/failures/`, `POST automation/retry/`, `POST automation/run_now/?from_stage=N`."""

import pytest

from automation.engine.claim import execute_run
from automation.models import AutomationRun
from automation.retries import run_from_stage
from tests.automation.test_retries import queued_tasks, quick_config
from tests.conftest import assert_error_envelope

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_run(fake_openai, tenant):
    """A run of account A whose one article failed with a 400 from the provider."""
    quick_config(tenant.site)
    queued_tasks(tenant.site, 2)
    fake_openai.configure(fail_next=[400])
    run = run_from_stage(site=tenant.site, from_stage=4)
    execute_run(run_pk=run.pk)
    return run


def test_failures_list_the_runs_failed_items_and_other_accounts_get_404(
    failed_run, owner_client, viewer_client, other_client, tenant
):
    response = viewer_client.get(f"/api/v1/automation/failures/?run_id={failed_run.run_id}")
    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    assert (row["stage"], row["code"], row["function"]) == (4, "provider_refused", "generate_content")
    assert row["site_id"] == tenant.site.pk and "400" in row["error"]
    query = "stage=4&code=provider_refused&since=2000-01-01T00:00Z"
    filtered = owner_client.get(f"/api/v1/automation/failures/?{query}")
    assert filtered.json()["count"] == 1
    assert owner_client.get("/api/v1/automation/failures/?stage=5").json()["count"] == 0
    assert_error_envelope(other_client.get(f"/api/v1/automation/failures/?run_id={failed_run.run_id}"), 404)
    assert_error_envelope(other_client.get(f"/api/v1/automation/failures/?site_id={tenant.site.pk}"), 404)
    assert other_client.get("/api/v1/automation/failures/").json()["count"] == 0
    assert_error_envelope(owner_client.get("/api/v1/automation/failures/?code=nonsense"), 400)


def test_retry_of_a_run_starts_one_narrowed_run_and_a_second_retry_is_refused(
    failed_run, owner_client, viewer_client, other_client
):
    body = {"run_id": failed_run.run_id}
    assert_error_envelope(viewer_client.post("/api/v1/automation/retry/", body, format="json"), 403)
    assert_error_envelope(other_client.post("/api/v1/automation/retry/", body, format="json"), 404)
    response = owner_client.post("/api/v1/automation/retry/", body, format="json")
    assert response.status_code == 201, response.content
    (started,) = response.json()["data"]["runs"]
    assert started["items"] == 1
    again = owner_client.post("/api/v1/automation/retry/", body, format="json")
    assert_error_envelope(again, 400, "run_active")
    execute_run(run_pk=AutomationRun.objects.get(run_id=started["run_id"]).pk)
    done = owner_client.post("/api/v1/automation/retry/", body, format="json")
    assert_error_envelope(done, 400, "nothing_to_retry")


def test_retry_by_filter_answers_per_site_and_bad_bodies_are_400(
    failed_run, owner_client, other_client, tenant
):
    assert_error_envelope(owner_client.post("/api/v1/automation/retry/", {}, format="json"), 400)
    assert_error_envelope(owner_client.post("/api/v1/automation/retry/", {"stage": 4}, format="json"), 400)
    other_site = {"filter": {"site_id": tenant.site.pk}}
    other = other_client.post("/api/v1/automation/retry/", other_site, format="json")
    assert_error_envelope(other, 404)
    response = owner_client.post("/api/v1/automation/retry/", {"filter": {"stage": 4}}, format="json")
    assert response.status_code == 201, response.content
    assert [run["site_id"] for run in response.json()["data"]["runs"]] == [tenant.site.pk]


def test_run_now_from_stage_starts_at_that_stage(offline, owner_client, other_client, tenant):
    quick_config(tenant.site)
    url = f"/api/v1/automation/run_now/?site_id={tenant.site.pk}&from_stage=6"
    assert_error_envelope(other_client.post(url), 404)
    assert_error_envelope(owner_client.post(url.replace("=6", "=9")), 400)
    response = owner_client.post(url)
    assert response.status_code == 201, response.content
    assert AutomationRun.objects.get(run_id=response.json()["data"]["run_id"]).current_stage == 6
