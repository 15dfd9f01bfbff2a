import logging

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from ai.providers import provider_reset
from devtools.openai_server import FakeOpenAIServer
from tests.factories import make_account, make_user


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def tenant(db):
    """Account A with 10,000 credits: (account, owner, site)."""
    return make_account(credits=10_000, name="Account A")


@pytest.fixture
def other_tenant(db):
    """Account B, whose objects account A must never see."""
    return make_account(credits=10_000, name="Account B")


@pytest.fixture
def owner_client(tenant):
    return client_for(tenant.owner)


@pytest.fixture
def other_client(other_tenant):
    return client_for(other_tenant.owner)


@pytest.fixture
def viewer_client(tenant):
    return client_for(make_user(account=tenant.account, role="viewer"))


@pytest.fixture
def editor_client(tenant):
    return client_for(make_user(account=tenant.account, role="editor"))


@pytest.fixture(autouse=True)
def clean_cache():
    """Locks and task owners of one test must not leak into the next."""
    cache.clear()


@pytest.fixture(scope="session")
def openai_server():
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fake_openai(openai_server, settings):
    """The `openai` provider pointed at the local server, reset, with quick retries and timeouts."""
    openai_server.reset()
    settings.AI_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = openai_server.base_url
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_TIMEOUT = 2.0
    settings.OPENAI_MAX_RETRIES = 2
    provider_reset()
    yield openai_server
    provider_reset()


@pytest.fixture
def offline(settings):
    settings.AI_PROVIDER = "offline"
    provider_reset()
    yield
    provider_reset()


def assert_error_envelope(response, status: int, code: str | None = None) -> dict:
    """The response is the API's error envelope with this status (and code)."""
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert body["success"] is False and body["error"]
    assert body["request_id"] == response["X-Request-ID"]
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def no_errors_logged(caplog):
    """Fails the test when anything was logged at ERROR or above (a 500, a traceback)."""
    yield caplog
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not errors, [record.getMessage() for record in errors]
