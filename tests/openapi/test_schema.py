"""What /api/schema/ says about the API, and the server holding to it."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from automation.models import TriggerType
from automation.run_ids import new_run_id
from tests.factories import make_keywords

# Clients are generated from these names: they never change (new operations add names).
STABLE_OPERATION_IDS = {
    "auth_register",
    "auth_login",
    "auth_refresh",
    "auth_me",
    "sites_list",
    "sites_create",
    "sites_retrieve",
    "sites_update",
    "sites_partial_update",
    "sites_destroy",
    "billing_balance",
    "billing_transactions_list",
    "billing_usage",
    "keywords_list",
    "keywords_create",
    "keywords_retrieve",
    "keywords_partial_update",
    "keywords_destroy",
    "keywords_import_csv",
    "keywords_auto_cluster",
    "clusters_list",
    "clusters_retrieve",
    "clusters_partial_update",
    "clusters_generate_ideas",
    "ideas_list",
    "ideas_retrieve",
    "ideas_partial_update",
    "ideas_queue_to_writer",
    "tasks_list",
    "tasks_retrieve",
    "tasks_generate_content",
    "content_list",
    "content_retrieve",
    "content_partial_update",
    "content_bulk_update_status",
    "content_generate_image_prompts",
    "images_list",
    "images_retrieve",
    "images_generate_images",
    "ai_logs_list",
    "ai_tasks_retrieve",
    "automation_config",
    "automation_update_config",
    "automation_update_config_partial",
    "automation_estimate",
    "automation_pipeline_overview",
    "automation_run_now",
    "automation_current_run",
    "automation_history",
    "automation_run_detail",
    "automation_logs",
    "automation_current_processing",
    "automation_pause",
    "automation_resume",
    "automation_cancel",
}
ANONYMOUS = {"auth_register", "auth_login", "auth_refresh"}


@pytest.fixture(scope="module")
def schema():
    with override_settings(API_DOCS_PUBLIC=True):
        return APIClient().get("/api/schema/?format=json").json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_operation_ids_are_unique_and_keep_their_stable_names(schema):
    names = [operation["operationId"] for _, _, operation in operations(schema)]
    assert len(names) == len(set(names))
    assert set(names) >= STABLE_OPERATION_IDS, STABLE_OPERATION_IDS - set(names)


def test_operations_are_tagged_by_app(schema):
    tags = {tag for _, _, operation in operations(schema) for tag in operation["tags"]}
    assert tags == {"auth", "billing", "planner", "writer", "ai", "automation", "events", "publishing"}


def test_every_success_body_is_documented_inside_the_envelope(schema):
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if not status.startswith("2") or "content" not in response:
                continue
            body = resolve(schema, response["content"]["application/json"]["schema"])
            label = f"{method.upper()} {path} {status}"
            assert body["properties"]["success"]["type"] == "boolean", label
            assert "request_id" in body["required"], label
            assert "data" in body["required"] or "results" in body["required"], label


def test_sites_list_is_documented_as_an_envelope_around_an_array(schema):
    response = schema["paths"]["/api/v1/auth/sites/"]["get"]["responses"]["200"]
    body = resolve(schema, response["content"]["application/json"]["schema"])
    assert body["properties"]["data"]["type"] == "array"


def test_errors_reference_the_shared_components_with_their_codes(schema):
    for path, method, operation in operations(schema):
        label = f"{method.upper()} {path}"
        responses = operation["responses"]
        if operation["operationId"] not in ANONYMOUS:
            assert {"401", "403"} <= responses.keys(), label
        if "{" in path:
            assert "404" in responses, label
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= responses.keys(), label
        for status, response in responses.items():
            if status.startswith("2"):
                continue
            body = response["content"]["application/json"]["schema"]
            component = "ValidationError" if status == "400" else "Error"
            assert body["allOf"] == [{"$ref": f"#/components/schemas/{component}"}], label
            assert body["properties"]["code"]["enum"], label
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"success", "error", "code", "request_id"}


def test_domain_error_codes_are_documented_on_their_operations(schema):
    def codes(path, method, status):
        response = schema["paths"][path][method]["responses"][status]
        return set(response["content"]["application/json"]["schema"]["properties"]["code"]["enum"])

    assert {"run_active", "insufficient_credits", "site_inactive"} <= codes(
        "/api/v1/automation/run_now/", "post", "400"
    )
    assert codes("/api/v1/automation/run_now/", "post", "503") == {"service_unavailable"}
    assert "invalid_transition" in codes("/api/v1/automation/pause/", "post", "400")
    assert codes("/api/v1/auth/login/", "post", "401") == {"invalid_credentials"}
    assert "site_id_required" in codes("/api/v1/planner/keywords/", "get", "400")


def test_json_is_the_only_body_format_but_for_the_csv_upload(schema):
    for path, method, operation in operations(schema):
        media_types = set(operation.get("requestBody", {}).get("content", {}))
        if operation["operationId"] == "keywords_import_csv":
            assert media_types == {"multipart/form-data"}
        elif operation["operationId"] == "inventory_import":  # a sitemap URL, or a CSV file
            assert media_types == {"application/json", "multipart/form-data"}
        elif media_types:
            assert media_types == {"application/json"}, f"{method.upper()} {path}"


def test_constraints_the_server_enforces_are_in_the_schema(schema):
    components = schema["components"]["schemas"]
    keyword = components["KeywordInputRequest"]["properties"]
    assert (keyword["difficulty"]["minimum"], keyword["difficulty"]["maximum"]) == (0, 100)
    assert keyword["volume"]["maximum"] == 2_000_000_000
    assert "\\u0000" in keyword["keyword"]["pattern"]
    assert components["GenerateContentRequest"]["properties"]["ids"]["maxItems"] == 20
    assert components["AutoClusterRequest"]["properties"]["ids"]["maxItems"] == 100
    config = components["PatchedAutomationConfigRequest"]
    assert config["properties"]["scheduled_time"]["pattern"].startswith("^([01][0-9]|2[0-3])")
    assert config["properties"]["stage_1_batch_size"]["maximum"] == 100
    assert "required" not in config
    assert components["RegisterRequest"]["properties"]["password"]["minLength"] == 8
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/planner/keywords/"]["get"]["parameters"]}
    assert parameters["site_id"]["schema"]["minimum"] == 1
    assert parameters["page_size"]["schema"]["minimum"] == 1
    assert parameters["cluster_id"]["schema"]["type"] == "integer"
    run_id = {p["name"]: p for p in schema["paths"]["/api/v1/automation/pause/"]["post"]["parameters"]}[
        "run_id"
    ]
    assert run_id["schema"]["pattern"].startswith("^run_")


def published_run_id_patterns(schema) -> set[str]:
    return {
        parameter["schema"]["pattern"]
        for path, _, operation in operations(schema)
        if path.startswith("/api/v1/automation/")
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "run_id"
    }


@pytest.mark.parametrize("trigger_type", TriggerType.values)
def test_the_published_run_id_pattern_matches_the_ids_the_server_makes(schema, trigger_type):
    patterns = published_run_id_patterns(schema)
    assert len(patterns) == 1, patterns
    pattern = patterns.pop()
    started = datetime.datetime(2026, 12, 3, 14, 5, 23, tzinfo=datetime.timezone.utc)
    for _ in range(20):
        run_id = new_run_id(trigger_type, started)
        assert re.fullmatch(pattern, run_id), (pattern, run_id)
    # The reference system's shape, which the API's own example uses, still names a run.
    assert re.fullmatch(pattern, f"run_20251203_140523_{trigger_type}")
    assert not re.fullmatch(pattern, f"run_20251203_140523_{trigger_type}_xyz")


def test_main_operations_carry_examples(schema):
    login = schema["paths"]["/api/v1/auth/login/"]["post"]
    assert login["requestBody"]["content"]["application/json"]["examples"]
    example = next(iter(login["responses"]["200"]["content"]["application/json"]["examples"].values()))
    assert example["value"]["success"] is True and "access" in example["value"]["data"]


@pytest.mark.django_db
def test_put_and_patch_of_update_config_both_change_only_the_fields_given(owner_client, tenant):
    url = f"/api/v1/automation/update_config/?site_id={tenant.site.pk}"
    put = owner_client.put(url, {"stage_1_batch_size": 7}, format="json")
    assert put.status_code == 200 and put.json()["data"]["stage_1_batch_size"] == 7
    patch = owner_client.patch(url, {"stage_2_batch_size": 3}, format="json")
    assert patch.status_code == 200 and patch.json()["data"]["stage_1_batch_size"] == 7


def test_the_schema_says_put_update_config_takes_any_subset_of_fields(schema):
    operation = schema["paths"]["/api/v1/automation/update_config/"]
    for method in ("put", "patch"):
        body = operation[method]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/PatchedAutomationConfigRequest"}, method
        assert not operation[method]["requestBody"].get("required"), method
    assert "reference" in operation["put"]["description"]


@pytest.mark.django_db
def test_put_of_a_site_replaces_it_and_patch_changes_only_what_it_names(owner_client, tenant):
    url = f"/api/v1/auth/sites/{tenant.site.pk}/"
    incomplete = owner_client.put(url, {"name": "Renamed"}, format="json")
    assert incomplete.status_code == 400 and {"domain", "is_active"} <= set(incomplete.json()["errors"])
    put = owner_client.put(
        url, {"name": "Renamed", "domain": "new.example.com", "is_active": True}, format="json"
    )
    assert put.status_code == 200 and put.json()["data"]["domain"] == "new.example.com"
    patch = owner_client.patch(url, {"name": "Again"}, format="json")
    assert patch.status_code == 200 and patch.json()["data"]["domain"] == "new.example.com"


def test_put_bodies_require_every_writable_field_in_the_schema(schema):
    site = schema["components"]["schemas"]["SiteReplaceRequest"]
    assert set(site["required"]) == {"name", "domain", "is_active"}
    put = schema["paths"]["/api/v1/auth/sites/{id}/"]["put"]["requestBody"]
    assert put["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SiteReplaceRequest"}


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["page_size=", "page_size=null", "page_size=0", "page=abc", "page=0"])
def test_malformed_paging_is_a_400(owner_client, tenant, query):
    make_keywords(site=tenant.site, texts=["alpha"])
    response = owner_client.get(f"/api/v1/planner/keywords/?site_id={tenant.site.pk}&{query}")
    assert response.status_code == 400 and response.json()["code"] == "validation_error"


@pytest.mark.django_db
def test_a_large_page_size_still_counts_as_the_maximum(owner_client, tenant):
    make_keywords(site=tenant.site, texts=["alpha", "beta"])
    response = owner_client.get(f"/api/v1/planner/keywords/?site_id={tenant.site.pk}&page_size=5000")
    assert response.status_code == 200 and response.json()["count"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["since=", "site_id="])
def test_a_present_but_empty_query_parameter_is_a_400(owner_client, query):
    response = owner_client.get(f"/api/v1/billing/usage/?{query}")
    assert response.status_code == 400 and response.json()["code"] == "validation_error"


@pytest.mark.django_db
def test_form_bodies_are_refused_outside_the_csv_upload(owner_client, tenant):
    response = owner_client.post(
        f"/api/v1/planner/keywords/?site_id={tenant.site.pk}", {"keyword": "alpha"}, format="multipart"
    )
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


@pytest.mark.django_db
def test_the_browser_login_page_still_takes_a_form(client, tenant):
    response = client.post("/login/", {"username": tenant.owner.email, "password": "correct-horse-battery"})
    assert response.status_code == 302


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_a_body_the_server_cannot_do_without_is_marked_required(schema, owner_client, tenant):
    # One keyword or a list of them: drf-spectacular cannot tell from the polymorphic serializer.
    assert schema["paths"]["/api/v1/planner/keywords/"]["post"]["requestBody"]["required"] is True
    refused = owner_client.post(f"/api/v1/planner/keywords/?site_id={tenant.site.pk}")
    assert refused.status_code == 400
