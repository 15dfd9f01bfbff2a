import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_register_login_refresh_and_me():
    client = APIClient()
    registered = client.post(
        "/api/v1/auth/register/",
        {"email": "New@Example.com", "password": PASSWORD, "account_name": "Acme"},
        format="json",
    )
    assert registered.status_code == 201
    data = registered.json()["data"]
    assert data["user"]["role"] == "owner"
    assert data["account"]["name"] == "Acme" and data["account"]["credits"] == 0

    login = client.post(
        "/api/v1/auth/login/", {"email": "new@example.com", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200
    refreshed = client.post(
        "/api/v1/auth/refresh/", {"refresh": login.json()["data"]["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['data']['access']}")
    me = client.get("/api/v1/auth/me/").json()["data"]
    assert me["user"]["email"] == "new@example.com"
    assert me["account"] == {"id": data["account"]["id"], "name": "Acme", "credits": 0}


def test_register_refuses_a_taken_email_and_a_weak_password(tenant):
    client = APIClient()
    taken = client.post(
        "/api/v1/auth/register/",
        {"email": tenant.owner.email, "password": PASSWORD, "account_name": "X"},
        format="json",
    )
    weak = client.post(
        "/api/v1/auth/register/",
        {"email": "x@example.com", "password": "123", "account_name": "X"},
        format="json",
    )
    assert taken.status_code == 400 and taken.json()["errors"]["email"]
    assert weak.status_code == 400 and weak.json()["errors"]["password"]


def test_login_with_a_wrong_password_is_401(tenant):
    response = APIClient().post(
        "/api/v1/auth/login/", {"email": tenant.owner.email, "password": "wrong-password"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_refresh_with_a_bad_token_is_401():
    response = APIClient().post("/api/v1/auth/refresh/", {"refresh": "garbage"}, format="json")
    assert response.status_code == 401


def test_sites_are_scoped_to_the_account(owner_client, tenant, other_tenant):
    created = owner_client.post(
        "/api/v1/auth/sites/", {"name": "Blog", "domain": "blog.example.com"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["data"]["is_active"] is True
    names = [site["name"] for site in owner_client.get("/api/v1/auth/sites/").json()["data"]]
    assert names == [tenant.site.name, "Blog"]
    assert owner_client.get(f"/api/v1/auth/sites/{other_tenant.site.pk}/").status_code == 404
    assert owner_client.patch(f"/api/v1/auth/sites/{other_tenant.site.pk}/", {"name": "x"}).status_code == 404
    assert owner_client.delete(f"/api/v1/auth/sites/{other_tenant.site.pk}/").status_code == 404


def test_duplicate_site_name_is_a_400(owner_client, tenant):
    response = owner_client.post("/api/v1/auth/sites/", {"name": tenant.site.name.upper()}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["name"]


def test_editor_and_viewer_cannot_manage_sites(editor_client, viewer_client, tenant):
    assert viewer_client.get("/api/v1/auth/sites/").status_code == 200
    assert viewer_client.post("/api/v1/auth/sites/", {"name": "V"}, format="json").status_code == 403
    assert editor_client.post("/api/v1/auth/sites/", {"name": "E"}, format="json").status_code == 403
