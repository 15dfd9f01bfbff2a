"""The public surface in production mode: keys (point 1), throttling (point 2) and hygiene (point 7)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from igny8.secret_key import EMBEDDED_DEMO_KEY, secret_key_problem
from tests.conftest import assert_error_envelope, client_for
from tests.factories import PASSWORD, make_content

pytestmark = pytest.mark.usefixtures("no_errors_logged")

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "m2Vq8yK1xP0rT7wZ4nB6cD9fG3hJ5kL8sA1eQ2uI7oY4tR6pW0zX3vN9bM5qH7"
# The production settings the README documents for a deployment behind a TLS proxy.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "igny8.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
    "SECURE_PROXY_SSL_HEADER": "1",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


# Point 1: forgeable tokens.


@pytest.mark.parametrize(
    "key",
    [
        "",
        " ",
        "change-me-in-production",
        EMBEDDED_DEMO_KEY,
        "django-insecure-" + STRONG_KEY,
        "short-but-random-Kq81",
        "ab" * 40,
    ],
    ids=["missing", "space", "compose-placeholder", "demo-key", "django-insecure", "short", "low-variety"],
)
def test_production_refuses_a_weak_or_known_secret_key(key):
    assert secret_key_problem(key)


def test_a_strong_secret_key_is_accepted():
    assert secret_key_problem(STRONG_KEY) is None


def test_production_start_up_fails_with_the_compose_placeholder_key_and_says_why():
    result = manage("check", SECRET_KEY="change-me-in-production")
    assert result.returncode != 0
    assert "SECRET_KEY is a published placeholder" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


# Point 7: production hygiene.


def test_check_deploy_passes_with_the_documented_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=STRONG_KEY, **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_the_browsable_api_is_off_in_production(owner_client):
    response = owner_client.get("/api/v1/auth/me/", HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("application/json")
    assert b"<html" not in response.content.lower()
    assert_error_envelope(response, 406, "not_acceptable")


@pytest.mark.django_db
def test_schema_and_docs_need_login_in_production_unless_made_public(client, owner_client, settings):
    for path in ("/api/schema/", "/api/docs/"):
        assert_error_envelope(client.get(path), 401, "not_authenticated")
        assert owner_client.get(path).status_code == 200
    settings.API_DOCS_PUBLIC = True
    assert client.get("/api/schema/").status_code == 200


@pytest.mark.django_db
def test_a_503_never_names_the_brokers_host_or_port(owner_client, tenant, monkeypatch):
    from igny8.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(app.conf, "broker_write_url", "redis://127.0.0.1:1/0")
    response = owner_client.post(f"/api/v1/automation/run_now/?site_id={tenant.site.pk}")
    body = assert_error_envelope(response, 503, "service_unavailable")
    assert "127.0.0.1" not in response.content.decode() and ":1" not in body["error"]


def test_a_disallowed_host_gets_the_json_error_envelope(client, caplog):
    response = client.get("/api/v1/auth/me/", HTTP_HOST="attacker.example")
    assert_error_envelope(response, 400, "bad_request")
    caplog.clear()  # Django reports a disallowed Host on its security logger; that is not a failure of ours.


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [2**31, 2**40])
def test_grant_credits_with_an_out_of_range_amount_is_a_clear_command_error(tenant, amount):
    with pytest.raises(CommandError, match="maximum"):
        call_command("grant_credits", "--account", str(tenant.account.pk), "--amount", str(amount))
    tenant.account.refresh_from_db()
    assert tenant.account.credits == 10_000


@pytest.mark.django_db
def test_grant_credits_refuses_a_grant_that_would_overflow_the_balance(tenant):
    with pytest.raises(CommandError, match="maximum"):
        call_command("grant_credits", "--account", str(tenant.account.pk), "--amount", str(2**31 - 1))
    tenant.account.refresh_from_db()
    assert tenant.account.credits == 10_000


@pytest.mark.django_db
def test_content_tags_and_categories_are_lists_of_short_strings(editor_client, tenant):

    content = make_content(site=tenant.site, title="Article")
    url = f"/api/v1/writer/content/{content.pk}/"
    for body in (
        {"tags": "not-a-list"},
        {"tags": [{"a": 1}]},
        {"tags": ["x" * 101]},
        {"categories": [1] * 21},
    ):
        assert_error_envelope(editor_client.patch(url, body, format="json"), 400, "validation_error")
    accepted = editor_client.patch(url, {"tags": ["solar", "diy"], "categories": ["Energy"]}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["data"]["tags"] == ["solar", "diy"]


# Point 2: throttling.


@pytest.fixture
def rates(settings):
    """Lower throttle rates for one test."""

    def set_rates(**overrides):
        framework = dict(settings.REST_FRAMEWORK)
        framework["DEFAULT_THROTTLE_RATES"] = {**framework["DEFAULT_THROTTLE_RATES"], **overrides}
        settings.REST_FRAMEWORK = framework

    return set_rates


def login(email: str, password: str, address: str = "203.0.113.7"):
    return APIClient().post(
        "/api/v1/auth/login/", {"email": email, "password": password}, format="json", REMOTE_ADDR=address
    )


def assert_throttled(response) -> None:
    assert_error_envelope(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_login_is_throttled_per_address_and_email_even_for_the_right_password(tenant, rates):
    rates(login="3/minute")
    email = tenant.owner.email
    for _ in range(3):
        assert login(email, "wrong-password-1").status_code == 401
    assert_throttled(login(email, PASSWORD))
    assert_throttled(login(email.upper(), PASSWORD))
    dashboard = APIClient().post(
        "/login/", {"username": email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )
    assert dashboard.status_code == 429 and int(dashboard["Retry-After"]) > 0
    assert b"Too many login attempts" in dashboard.content
    spoofed = APIClient().post(
        "/api/v1/auth/login/",
        {"email": email, "password": PASSWORD},
        format="json",
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="192.0.2.55",
    )
    assert_throttled(spoofed)
    assert login(email, PASSWORD, address="198.51.100.9").status_code == 200
    assert login("someone-else@example.com", "wrong-password-1").status_code == 401


@pytest.mark.django_db
def test_auth_endpoints_are_throttled_per_address(tenant, rates):
    rates(auth_ip="4/minute")
    client = APIClient(REMOTE_ADDR="203.0.113.8")
    for number in range(4):
        client.post(
            "/api/v1/auth/login/", {"email": f"guess{number}@example.com", "password": "x"}, format="json"
        )
    assert_throttled(client.post("/api/v1/auth/refresh/", {"refresh": "whatever"}, format="json"))
    registered = client.post(
        "/api/v1/auth/register/",
        {"email": "new@example.com", "password": PASSWORD, "account_name": "New"},
        format="json",
    )
    assert_throttled(registered)


@pytest.mark.django_db
def test_registration_is_throttled_per_address(rates):
    rates(register="2/hour")
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    for number in range(2):
        created = client.post(
            "/api/v1/auth/register/",
            {"email": f"new{number}@example.com", "password": PASSWORD, "account_name": f"New {number}"},
            format="json",
        )
        assert created.status_code == 201
    third = client.post(
        "/api/v1/auth/register/",
        {"email": "new9@example.com", "password": PASSWORD, "account_name": "New 9"},
        format="json",
    )
    assert_throttled(third)


@pytest.mark.django_db
def test_password_changes_are_throttled_per_user(tenant, rates):
    rates(password="2/hour")
    client = client_for(tenant.owner)
    for _ in range(2):
        wrong = client.post(
            "/api/v1/auth/password/",
            {"old_password": "guess-1", "new_password": "whatever-it-is-9"},
            format="json",
        )
        assert wrong.status_code == 400
    assert_throttled(
        client.post(
            "/api/v1/auth/password/",
            {"old_password": PASSWORD, "new_password": "whatever-it-is-9"},
            format="json",
        )
    )


@pytest.mark.django_db
def test_the_api_has_a_general_per_user_throttle(owner_client, other_client, rates):
    rates(user="3/minute")
    for _ in range(3):
        assert owner_client.get("/api/v1/auth/me/").status_code == 200
    assert_throttled(owner_client.get("/api/v1/auth/me/"))
    assert other_client.get("/api/v1/auth/me/").status_code == 200
