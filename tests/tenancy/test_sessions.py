"""Sessions can be revoked: logout, password change and deactivation (issue 10, point 3)."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import assert_error_envelope
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_errors_logged")]

NEW_PASSWORD = "another-correct-horse-7"


def login(email: str, password: str = PASSWORD) -> dict:
    response = APIClient().post("/api/v1/auth/login/", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def refresh(token: str):
    return APIClient().post("/api/v1/auth/refresh/", {"refresh": token}, format="json")


def test_logout_blacklists_the_refresh_token(tenant):
    session = login(tenant.owner.email)
    other_session = login(tenant.owner.email)
    response = bearer(session["access"]).post(
        "/api/v1/auth/logout/", {"refresh": session["refresh"]}, format="json"
    )
    assert response.status_code == 200 and response.json()["success"] is True
    assert_error_envelope(refresh(session["refresh"]), 401, "token_not_valid")
    assert refresh(other_session["refresh"]).status_code == 200


def test_logout_refuses_another_users_refresh_token_and_needs_login(tenant, other_tenant):
    mine, theirs = login(tenant.owner.email), login(other_tenant.owner.email)
    refused = bearer(mine["access"]).post(
        "/api/v1/auth/logout/", {"refresh": theirs["refresh"]}, format="json"
    )
    assert_error_envelope(refused, 401, "token_not_valid")
    assert refresh(theirs["refresh"]).status_code == 200
    anonymous = APIClient().post("/api/v1/auth/logout/", {"refresh": mine["refresh"]}, format="json")
    assert_error_envelope(anonymous, 401, "not_authenticated")


def test_password_change_revokes_every_earlier_session_and_returns_a_fresh_pair(tenant):
    first, second = login(tenant.owner.email), login(tenant.owner.email)
    response = bearer(first["access"]).post(
        "/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    fresh = response.json()["data"]
    for earlier in (first, second):
        assert_error_envelope(refresh(earlier["refresh"]), 401, "token_not_valid")
        assert_error_envelope(bearer(earlier["access"]).get("/api/v1/auth/me/"), 401)
    assert refresh(fresh["refresh"]).status_code == 200
    assert bearer(fresh["access"]).get("/api/v1/auth/me/").status_code == 200
    assert login(tenant.owner.email, NEW_PASSWORD)["access"]


def test_password_change_refuses_a_wrong_old_password_and_a_weak_new_one(tenant):
    session = login(tenant.owner.email)
    client = bearer(session["access"])
    wrong = client.post(
        "/api/v1/auth/password/",
        {"old_password": "not-it-at-all", "new_password": NEW_PASSWORD},
        format="json",
    )
    assert assert_error_envelope(wrong, 400, "wrong_password")["errors"]["old_password"]
    weak = client.post(
        "/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": "123"}, format="json"
    )
    assert assert_error_envelope(weak, 400, "validation_error")["errors"]["password"]
    assert refresh(session["refresh"]).status_code == 200


def test_refresh_refuses_an_inactive_or_deleted_user(tenant):
    from tests.factories import make_user

    account, owner = tenant.account, tenant.owner
    editor = make_user(account=account, role="editor")
    inactive_session, deleted_session = login(owner.email), login(editor.email)
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    editor.delete()
    assert_error_envelope(refresh(inactive_session["refresh"]), 401, "token_not_valid")
    assert_error_envelope(refresh(deleted_session["refresh"]), 401, "token_not_valid")
    assert_error_envelope(bearer(inactive_session["access"]).get("/api/v1/auth/me/"), 401)


def test_a_401_names_the_bearer_scheme(tenant):
    anonymous = APIClient().get("/api/v1/auth/me/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")
    garbage = bearer("not-a-token").get("/api/v1/auth/me/")
    assert garbage.status_code == 401 and garbage["WWW-Authenticate"].startswith("Bearer")
    wrong_password = APIClient().post(
        "/api/v1/auth/login/", {"email": tenant.owner.email, "password": "wrong-one-1"}, format="json"
    )
    assert wrong_password.status_code == 401 and wrong_password["WWW-Authenticate"].startswith("Bearer")
