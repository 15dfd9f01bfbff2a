import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

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
