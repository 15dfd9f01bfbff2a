import uuid

import pytest

pytestmark = pytest.mark.django_db


def test_success_envelope_carries_data_and_request_id(owner_client):
    response = owner_client.get("/api/v1/auth/me/")
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["data"]["user"]["role"] == "owner"
    assert body["request_id"] == response["X-Request-ID"]
    uuid.UUID(body["request_id"])


def test_client_request_id_is_echoed(owner_client):
    response = owner_client.get("/api/v1/auth/me/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"


def test_list_envelope_is_paginated_with_page_size_cap(owner_client, tenant):
    from tests.factories import make_keywords

    make_keywords(site=tenant.site, texts=[f"keyword {n}" for n in range(5)])
    response = owner_client.get(f"/api/v1/planner/keywords/?site_id={tenant.site.pk}&page_size=2&page=2")
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True and body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"]
    assert "request_id" in body


def test_error_envelope_for_missing_site_id(owner_client):
    response = owner_client.get("/api/v1/planner/keywords/")
    body = response.json()
    assert response.status_code == 400
    assert body == {
        "success": False,
        "error": "site_id is required.",
        "code": "site_id_required",
        "errors": {"site_id": ["Required."]},
        "request_id": response["X-Request-ID"],
    }


def test_another_accounts_site_answers_404_like_a_missing_one(owner_client, other_tenant):
    foreign = owner_client.get(f"/api/v1/planner/keywords/?site_id={other_tenant.site.pk}")
    missing = owner_client.get("/api/v1/planner/keywords/?site_id=999999")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["code"] == missing.json()["code"] == "not_found"
    assert foreign.json()["error"] == missing.json()["error"]


def test_unauthenticated_request_gets_401_envelope(client):
    response = client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert response.json()["code"] == "not_authenticated"


def test_unknown_url_gets_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.urls("tests.urls")
def test_unexpected_error_is_a_500_envelope_without_internals(owner_client):
    response = owner_client.get("/api/v1/test/explode/")
    body = response.json()
    assert response.status_code == 500
    assert body["success"] is False and body["code"] == "server_error"
    assert "secret" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.urls("tests.urls")
def test_a_transaction_aborted_by_a_deadlock_is_a_503_to_try_again(owner_client):
    response = owner_client.get("/api/v1/test/deadlocked/")
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "try_again" and response["Retry-After"] == "1"


def test_malformed_json_body_is_a_400_envelope(owner_client, tenant):
    response = owner_client.post(
        f"/api/v1/planner/keywords/?site_id={tenant.site.pk}",
        data="{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_openapi_schema_and_docs_are_served_to_a_signed_in_user(owner_client):
    schema = owner_client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/planner/keywords/" in schema.content
    assert owner_client.get("/api/docs/").status_code == 200


def test_openapi_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/automation/run_now/" in (tmp_path / "schema.yml").read_text()
