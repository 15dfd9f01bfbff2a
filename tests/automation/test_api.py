import threading

import pytest
from django.db import connection
from django.utils import timezone

from ai.engine import run_function
from automation.models import AutomationRun
from automation.services.runs import start_automation
from planner.models import Keyword
from tests.conftest import client_for
from tests.factories import make_account, make_keywords, make_user

pytestmark = pytest.mark.usefixtures("offline")
BASE = "/api/v1/automation"


@pytest.fixture
def site_id(pipeline_site):
    return pipeline_site.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["config/", "estimate/", "pipeline_overview/", "current_run/", "history/", "current_processing/"]
)
def test_site_endpoints_need_a_site_of_the_callers_account(path, owner_client, other_tenant, pipeline_site):
    missing = owner_client.get(f"{BASE}/{path}")
    assert missing.status_code == 400 and missing.json()["code"] == "site_id_required"
    assert owner_client.get(f"{BASE}/{path}?site_id={other_tenant.site.pk}").status_code == 404
    assert owner_client.get(f"{BASE}/{path}?site_id=abc").status_code == 400
    assert owner_client.get(f"{BASE}/{path}?site_id={pipeline_site.pk}").status_code == 200


@pytest.mark.django_db
def test_config_is_created_with_defaults_on_first_read(owner_client, site_id):
    config = owner_client.get(f"{BASE}/config/?site_id={site_id}").json()["data"]
    # pipeline_site sets the delays to 0; the rest are the defaults.
    assert (config["stage_1_batch_size"], config["stage_2_batch_size"], config["images_per_content"]) == (
        20,
        1,
        3,
    )
    assert config["within_stage_delay"] == 0


@pytest.mark.django_db
def test_update_config_refuses_invalid_values_naming_each_field(owner_client, site_id):
    bad = owner_client.patch(
        f"{BASE}/update_config/?site_id={site_id}",
        {
            "stage_1_batch_size": 0,
            "within_stage_delay": 4000,
            "frequency": "hourly",
            "scheduled_time": "25:00",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {
        "stage_1_batch_size",
        "within_stage_delay",
        "frequency",
        "scheduled_time",
    }


@pytest.mark.django_db
def test_update_config_schedules_the_next_run_and_ignores_read_only_fields(owner_client, site_id):
    good = owner_client.patch(
        f"{BASE}/update_config/?site_id={site_id}",
        {
            "is_enabled": True,
            "frequency": "weekly",
            "scheduled_time": "06:30",
            "last_run_at": "2020-01-01T00:00Z",
        },
        format="json",
    )
    data = good.json()["data"]
    assert good.status_code == 200 and data["scheduled_time"] == "06:30" and data["next_run_at"]
    assert data["last_run_at"] is None


def without(data: dict, *names: str) -> dict:
    return {key: value for key, value in data.items() if key not in names}


@pytest.mark.django_db
def test_put_update_config_with_one_field_changes_only_that_field(owner_client, other_tenant, site_id):
    # The reference dashboard saves the config with a PUT of the fields it changes, and only those.
    before = owner_client.get(f"{BASE}/config/?site_id={site_id}").json()["data"]
    put = owner_client.put(
        f"{BASE}/update_config/?site_id={site_id}", {"stage_1_batch_size": 7}, format="json"
    )
    assert put.status_code == 200, put.json()
    after = put.json()["data"]
    assert after["stage_1_batch_size"] == 7 and before["stage_1_batch_size"] != 7
    assert without(after, "stage_1_batch_size", "updated_at") == without(
        before, "stage_1_batch_size", "updated_at"
    )
    assert owner_client.get(f"{BASE}/config/?site_id={site_id}").json()["data"] == after
    other = owner_client.put(
        f"{BASE}/update_config/?site_id={other_tenant.site.pk}", {"stage_1_batch_size": 7}, format="json"
    )
    assert other.status_code == 404


@pytest.mark.django_db
def test_put_update_config_refuses_invalid_values_naming_each_field(owner_client, site_id):
    url = f"{BASE}/update_config/?site_id={site_id}"
    bad = owner_client.put(url, {"stage_1_batch_size": 0, "frequency": "hourly"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"stage_1_batch_size", "frequency"}
    assert owner_client.put(url, {}, format="json").status_code == 200


@pytest.mark.django_db
def test_roles(tenant, site_id):
    viewer = client_for(make_user(account=tenant.account, role="viewer"))
    editor = client_for(make_user(account=tenant.account, role="editor"))
    admin = client_for(make_user(account=tenant.account, role="admin"))
    assert viewer.get(f"{BASE}/config/?site_id={site_id}").status_code == 200
    assert viewer.post(f"{BASE}/run_now/?site_id={site_id}").status_code == 403
    assert editor.patch(f"{BASE}/update_config/?site_id={site_id}", {}, format="json").status_code == 403
    assert admin.patch(f"{BASE}/update_config/?site_id={site_id}", {}, format="json").status_code == 200
    started = editor.post(f"{BASE}/run_now/?site_id={site_id}")
    assert started.status_code == 201
    run_id = started.json()["data"]["run_id"]
    assert viewer.post(f"{BASE}/pause/?run_id={run_id}").status_code == 403
    assert editor.post(f"{BASE}/pause/?run_id={run_id}").status_code == 200


@pytest.mark.django_db
def test_estimate_and_insufficient_credits(db):
    tenant = make_account(credits=5)
    owner, site = tenant.owner, tenant.site
    make_keywords(site=site, texts=[f"garden keyword {n}" for n in range(10)])
    client = client_for(owner)
    estimate = client.get(f"{BASE}/estimate/?site_id={site.pk}").json()["data"]
    assert estimate["current_balance"] == 5 and estimate["sufficient"] is False
    assert estimate["required_with_buffer"] >= estimate["estimated_credits"] * 1.2
    assert [stage["number"] for stage in estimate["stages"]] == [1, 2, 3, 4, 5, 6, 7]
    refused = client.post(f"{BASE}/run_now/?site_id={site.pk}")
    body = refused.json()
    assert refused.status_code == 400 and body["code"] == "insufficient_credits"
    assert body["required"] == estimate["required_with_buffer"] and body["available"] == 5
    assert not AutomationRun.objects.exists()


@pytest.mark.django_db
def test_run_lifecycle_through_the_api(owner_client, other_client, site_id):
    started = owner_client.post(f"{BASE}/run_now/?site_id={site_id}").json()["data"]
    run_id = started["run_id"]
    assert started["status"] == "running"
    again = owner_client.post(f"{BASE}/run_now/?site_id={site_id}")
    assert again.status_code == 400 and again.json()["code"] == "run_active"
    current = owner_client.get(f"{BASE}/current_run/?site_id={site_id}").json()["data"]["run"]
    assert current["run_id"] == run_id and current["site_id"] == site_id
    assert current["initial_snapshot"]["stage_1_initial"] == 10

    assert other_client.post(f"{BASE}/pause/?run_id={run_id}").status_code == 404
    assert other_client.get(f"{BASE}/logs/?run_id={run_id}").status_code == 404
    assert owner_client.post(f"{BASE}/pause/?run_id=run_nope").status_code == 404
    assert owner_client.post(f"{BASE}/pause/").status_code == 400
    assert owner_client.post(f"{BASE}/resume/?run_id={run_id}").json()["code"] == "invalid_transition"
    assert (
        owner_client.post(f"{BASE}/pause/", {"run_id": run_id}, format="json").json()["data"]["status"]
        == "paused"
    )
    paused_again = owner_client.post(f"{BASE}/run_now/?site_id={site_id}")
    assert paused_again.json()["code"] == "run_active"
    assert (
        owner_client.post(f"{BASE}/cancel/?run_id={run_id}&site_id={site_id}").json()["data"]["status"]
        == "cancelled"
    )
    assert owner_client.post(f"{BASE}/cancel/?run_id={run_id}").json()["code"] == "invalid_transition"

    history = owner_client.get(f"{BASE}/history/?site_id={site_id}&limit=5").json()["data"]["runs"]
    assert [run["run_id"] for run in history] == [run_id]
    assert owner_client.get(f"{BASE}/history/?site_id={site_id}&limit=0").status_code == 400
    detail = owner_client.get(f"{BASE}/run_detail/?site_id={site_id}&run_id={run_id}").json()["data"]
    assert detail["status"] == "cancelled" and detail["credit_breakdown"] == {"total": 0, "stages": []}
    logs = owner_client.get(f"{BASE}/logs/?run_id={run_id}&lines=2").json()["data"]
    assert len(logs["lines"]) == 2 and "cancelled" in logs["log"]
    assert owner_client.get(f"{BASE}/logs/?run_id={run_id}&stage=9").status_code == 400


@pytest.mark.django_db
def test_run_detail_of_another_sites_run_is_404(owner_client, tenant, site_id):
    from tenancy.services import site_create

    run = start_automation(site=tenant.site)
    second_site = site_create(account=tenant.account, name="Second")
    response = owner_client.get(f"{BASE}/run_detail/?site_id={second_site.pk}&run_id={run.run_id}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_pipeline_overview_and_current_processing(owner_client, site_id):
    overview = owner_client.get(f"{BASE}/pipeline_overview/?site_id={site_id}").json()["data"]["stages"]
    assert [(s["number"], s["type"]) for s in overview] == [
        (1, "AI"),
        (2, "AI"),
        (3, "Local"),
        (4, "AI"),
        (5, "AI"),
        (6, "AI"),
        (7, "Manual"),
    ]
    assert overview[0]["pending"] == 10 and overview[0]["by_status"] == {"new": 10}
    assert owner_client.get(f"{BASE}/current_processing/?site_id={site_id}").json()["data"] is None
    owner_client.post(f"{BASE}/run_now/?site_id={site_id}")
    progress = owner_client.get(f"{BASE}/current_processing/?site_id={site_id}").json()["data"]
    assert (progress["stage"], progress["processed"], progress["total"], progress["remaining"]) == (
        1,
        0,
        10,
        10,
    )
    assert len(progress["up_next"]) == 5 and progress["up_next"][0]["label"] == "best running shoes"


@pytest.mark.django_db
def test_a_run_is_unclaimed_until_an_executor_heartbeats(owner_client, site_id):
    owner_client.post(f"{BASE}/run_now/?site_id={site_id}")
    queued = owner_client.get(f"{BASE}/current_run/?site_id={site_id}").json()["data"]["run"]
    assert (queued["status"], queued["claimed"], queued["heartbeat_at"]) == ("running", False, None)
    beat = timezone.now()
    AutomationRun.objects.filter(run_id=queued["run_id"]).update(heartbeat_at=beat)
    running = owner_client.get(f"{BASE}/current_run/?site_id={site_id}").json()["data"]["run"]
    assert running["claimed"] is True
    assert running["heartbeat_at"] == beat.isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_current_processing_counts_a_committed_batch_once(owner_client, pipeline_site):
    """The executor leaves its last batch on the run until it shows the next one; once that batch has
    committed its keywords are processed, not in flight, and the stage total stays the keyword count."""
    owner_client.post(f"{BASE}/run_now/?site_id={pipeline_site.pk}")
    run = AutomationRun.objects.get(site=pipeline_site)
    batch = list(Keyword.objects.filter(site=pipeline_site).order_by("id").values_list("pk", flat=True)[:5])
    shown = [
        {"id": pk, "label": text}
        for pk, text in Keyword.objects.filter(pk__in=batch).values_list("pk", "keyword")
    ]
    AutomationRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now(),
        current_batch={"stage": 1, "total": 10, "processed": 0, "in_flight": shown},
    )
    in_flight = owner_client.get(f"{BASE}/current_processing/?site_id={pipeline_site.pk}").json()["data"]
    assert (in_flight["processed"], in_flight["total"], len(in_flight["in_flight"])) == (0, 10, 5)

    outcome = run_function(
        "auto_cluster",
        {"ids": batch},
        account=pipeline_site.account,
        site=pipeline_site,
        automation_run_id=run.run_id,
        stage=1,
    )
    mapped = outcome.details["keywords_mapped"]
    AutomationRun.objects.filter(pk=run.pk).update(stage_1_result={"keywords_processed": mapped})
    progress = owner_client.get(f"{BASE}/current_processing/?site_id={pipeline_site.pk}").json()["data"]
    assert mapped > 0
    assert (progress["processed"], progress["total"], progress["remaining"]) == (mapped, 10, 10 - mapped)
    left_new = set(Keyword.objects.filter(pk__in=batch, status="new").values_list("pk", flat=True))
    assert [item["id"] for item in progress["in_flight"]] == [pk for pk in batch if pk in left_new]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_run_now_calls_start_exactly_one_run():
    tenant = make_account(credits=100_000)
    owner, site = tenant.owner, tenant.site
    make_keywords(site=site, texts=[f"solar keyword {n}" for n in range(10)])
    barrier, statuses = threading.Barrier(20), []

    def run_now():
        client = client_for(owner)
        try:
            barrier.wait()
            response = client.post(f"{BASE}/run_now/?site_id={site.pk}")
            statuses.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=run_now) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses, key=str).count((201, None)) == 1
    assert statuses.count((400, "run_active")) == 19
    assert AutomationRun.objects.filter(site=site).count() == 1
