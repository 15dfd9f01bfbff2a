"""Test data made through the services, the way the product makes it."""

import itertools

from billing.services import credits_grant
from planner.services import keywords_create_many
from tenancy.models import Role
from tenancy.services import account_register, site_create, user_create

_sequence = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_account(*, credits: int = 0, name: str | None = None):
    """An account with its owner and one site: (account, owner, site)."""
    number = next(_sequence)
    owner, account = account_register(
        email=f"owner{number}@example.com", password=PASSWORD, account_name=name or f"Account {number}"
    )
    if credits:
        credits_grant(account=account, amount=credits, description="test credits")
    site = site_create(account=account, name=f"Site {number}", domain=f"site{number}.example.com")
    return account, owner, site


def make_user(*, account, role: str = Role.EDITOR):
    return user_create(
        account=account, email=f"{role}{next(_sequence)}@example.com", password=PASSWORD, role=role
    )


def make_keywords(*, site, texts):
    added = keywords_create_many(site=site, raws=[{"keyword": text, "volume": 100} for text in texts])
    return added.created


# Six keywords in two topics: enough for stage 1's minimum batch, and a run small enough for tests.
SMALL_RUN_KEYWORDS = [
    "best running shoes",
    "trail running shoes",
    "running shoes for flat feet",
    "cold brew coffee ratio",
    "how to make cold brew coffee",
    "best coffee grinder",
]
