import logging

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from ai.fake_server import FakeOpenAIServer
from ai.providers import _provider
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
    return client_for(tenant[1])


@pytest.fixture
def other_client(other_tenant):
    return client_for(other_tenant[1])


@pytest.fixture
def viewer_client(tenant):
    return client_for(make_user(account=tenant[0], role="viewer"))


@pytest.fixture
def editor_client(tenant):
    return client_for(make_user(account=tenant[0], role="editor"))


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
    _provider.cache_clear()
    yield openai_server
    _provider.cache_clear()


@pytest.fixture
def offline(settings):
    settings.AI_PROVIDER = "offline"
    _provider.cache_clear()
    yield
    _provider.cache_clear()


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
