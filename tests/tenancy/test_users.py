"""User management through the API, and emails compared case-insensitively (issue 10, point 4)."""

import pytest
from rest_framework.test import APIClient

from tenancy.models import User
from tests.conftest import assert_error_envelope, client_for
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_errors_logged")]

USERS = "/api/v1/auth/users/"


def add(client, email: str, role: str = "editor", password: str = PASSWORD):
    return client.post(USERS, {"email": email, "password": password, "role": role}, format="json")


def test_owner_lists_and_adds_users_of_the_account_only(owner_client, tenant, other_tenant):
    created = add(owner_client, "Writer@Example.com", "editor")
    assert created.status_code == 201, created.content
    data = created.json()["data"]
    assert set(data) == {"id", "email", "role", "is_active", "date_joined"}
    assert (data["email"], data["role"], data["is_active"]) == ("writer@example.com", "editor", True)
    assert User.objects.get(pk=data["id"]).account_id == tenant.account.pk
    listed = owner_client.get(USERS).json()["data"]
    assert [row["email"] for row in listed] == [tenant.owner.email, "writer@example.com"]
    assert owner_client.get(f"{USERS}{other_tenant.owner.pk}/").status_code == 404
    foreign = owner_client.patch(f"{USERS}{other_tenant.owner.pk}/", {"role": "viewer"}, format="json")
    assert_error_envelope(foreign, 404, "not_found")
    assert_error_envelope(owner_client.delete(f"{USERS}{other_tenant.owner.pk}/"), 404, "not_found")


def test_added_user_logs_in_with_any_case_of_the_email_on_api_and_dashboard(owner_client):
    assert add(owner_client, "Mixed.Case@Example.com", password=" spaced password ").status_code == 201
    api = APIClient().post(
        "/api/v1/auth/login/",
        {"email": "MIXED.case@example.COM", "password": " spaced password "},
        format="json",
    )
    assert api.status_code == 200
    trimmed = APIClient().post(
        "/api/v1/auth/login/",
        {"email": "mixed.case@example.com", "password": "spaced password"},
        format="json",
    )
    assert trimmed.status_code == 401
    dashboard = APIClient().post(
        "/login/", {"username": "MIXED.CASE@EXAMPLE.COM", "password": " spaced password "}
    )
    assert dashboard.status_code == 302 and dashboard["Location"] == "/dashboard/"


def test_emails_are_unique_whatever_their_case(owner_client, tenant):
    taken = add(owner_client, tenant.owner.email.upper())
    assert assert_error_envelope(taken, 400, "validation_error")["errors"]["email"]
    registered = APIClient().post(
        "/api/v1/auth/register/",
        {"email": tenant.owner.email.upper(), "password": PASSWORD, "account_name": "Copy"},
        format="json",
    )
    assert_error_envelope(registered, 400, "validation_error")


def test_editors_and_viewers_cannot_manage_users(editor_client, viewer_client, tenant):
    for client in (editor_client, viewer_client):
        assert_error_envelope(client.get(USERS), 403, "permission_denied")
        assert_error_envelope(add(client, "x@example.com"), 403, "permission_denied")
        refused = client.patch(f"{USERS}{tenant.owner.pk}/", {"role": "viewer"}, format="json")
        assert_error_envelope(refused, 403, "permission_denied")


def test_only_an_owner_grants_or_removes_owner_and_admin(tenant):
    account, owner = tenant.account, tenant.owner
    admin = make_user(account=account, role="admin")
    other_admin = make_user(account=account, role="admin")
    editor = make_user(account=account, role="editor")
    admin_client = client_for(admin)
    assert_error_envelope(add(admin_client, "boss@example.com", "owner"), 403, "permission_denied")
    assert_error_envelope(add(admin_client, "second@example.com", "admin"), 403, "permission_denied")
    promote = admin_client.patch(f"{USERS}{editor.pk}/", {"role": "admin"}, format="json")
    assert_error_envelope(promote, 403, "permission_denied")
    demote = admin_client.patch(f"{USERS}{other_admin.pk}/", {"role": "viewer"}, format="json")
    assert_error_envelope(demote, 403, "permission_denied")
    assert_error_envelope(admin_client.delete(f"{USERS}{owner.pk}/"), 403, "permission_denied")
    # What an admin may do: manage editors and viewers.
    assert add(admin_client, "helper@example.com", "viewer").status_code == 201
    assert admin_client.patch(f"{USERS}{editor.pk}/", {"role": "viewer"}, format="json").status_code == 200
    # And the owner may do the rest.
    promoted = client_for(owner).patch(f"{USERS}{editor.pk}/", {"role": "admin"}, format="json")
    assert promoted.status_code == 200 and promoted.json()["data"]["role"] == "admin"


def test_the_last_active_owner_can_be_neither_demoted_nor_deactivated(owner_client, tenant):
    owner = tenant.owner
    demote = owner_client.patch(f"{USERS}{owner.pk}/", {"role": "admin"}, format="json")
    assert_error_envelope(demote, 400, "last_owner")
    assert_error_envelope(owner_client.delete(f"{USERS}{owner.pk}/"), 400, "last_owner")
    deactivate = owner_client.patch(f"{USERS}{owner.pk}/", {"is_active": False}, format="json")
    assert_error_envelope(deactivate, 400, "last_owner")
    second = add(owner_client, "second-owner@example.com", "owner").json()["data"]
    demoted = owner_client.patch(f"{USERS}{owner.pk}/", {"role": "admin"}, format="json")
    assert demoted.status_code == 200
    assert User.objects.get(pk=second["id"]).role == "owner"


def test_a_deactivated_users_tokens_stop_working_at_once(owner_client, tenant):
    editor = make_user(account=tenant.account, role="editor")
    session = APIClient().post(
        "/api/v1/auth/login/", {"email": editor.email, "password": PASSWORD}, format="json"
    )
    tokens = session.json()["data"]
    editor_client = APIClient()
    editor_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert editor_client.get("/api/v1/auth/me/").status_code == 200
    deleted = owner_client.delete(f"{USERS}{editor.pk}/")
    assert deleted.status_code == 200 and deleted.json()["data"]["is_active"] is False
    assert_error_envelope(editor_client.get("/api/v1/auth/me/"), 401)
    refreshed = APIClient().post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert_error_envelope(refreshed, 401, "token_not_valid")
    again = APIClient().post(
        "/api/v1/auth/login/", {"email": editor.email, "password": PASSWORD}, format="json"
    )
    assert_error_envelope(again, 401, "invalid_credentials")


def test_add_user_validates_the_password_and_the_role(owner_client):
    weak = add(owner_client, "weak@example.com", password="123")
    assert assert_error_envelope(weak, 400, "validation_error")["errors"]["password"]
    bad_role = add(owner_client, "role@example.com", role="emperor")
    assert assert_error_envelope(bad_role, 400, "validation_error")["errors"]["role"]
