import pytest

from ai.fake_server import FakeOpenAIServer
from ai.providers import _provider


@pytest.fixture(scope="session")
def openai_server():
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fake_openai(openai_server, settings):
    """The `openai` provider pointed at the local server, with quick retries and timeouts."""
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
