"""Test data made through the services, the way the product makes it."""

import itertools
from dataclasses import dataclass

from billing.services import credits_grant
from planner.services import (
    IdeaFields,
    cluster_get_or_create,
    idea_create,
    keywords_assign,
    keywords_create_many,
)
from tenancy.models import Account, Role, Site, User
from tenancy.services import account_register, site_create, user_create
from writer.services import ArticleFields, content_create_for_task, ideas_queue_to_writer

_sequence = itertools.count(1)
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Tenant:
    account: Account
    owner: User
    site: Site


def make_account(*, credits: int = 0, name: str | None = None) -> Tenant:
    """An account with its owner and one site."""
    number = next(_sequence)
    owner, account = account_register(
        email=f"owner{number}@example.com", password=PASSWORD, account_name=name or f"Account {number}"
    )
    if credits:
        credits_grant(account=account, amount=credits, description="test credits")
    site = site_create(account=account, name=f"Site {number}", domain=f"site{number}.example.com")
    return Tenant(account=account, owner=owner, site=site)


def make_user(*, account, role: str = Role.EDITOR):
    return user_create(
        account=account, email=f"{role}{next(_sequence)}@example.com", password=PASSWORD, role=role
    )


def make_keywords(*, site, texts):
    added = keywords_create_many(site=site, raws=[{"keyword": text, "volume": 100} for text in texts])
    return added.created


def make_cluster(*, site, name: str, keywords=()):
    cluster, _ = cluster_get_or_create(site=site, name=name)
    if keywords:
        keywords_assign(cluster=cluster, keyword_ids=[k.pk for k in make_keywords(site=site, texts=keywords)])
    return cluster


def make_idea(*, cluster, title: str):
    return idea_create(cluster=cluster, fields=IdeaFields(title=title))


def make_content(*, site, title: str):
    """A draft article, with the cluster, idea and task it comes from."""
    cluster = make_cluster(site=site, name=f"Cluster for {title}")
    idea = make_idea(cluster=cluster, title=title)
    (task,) = ideas_queue_to_writer(site=site, idea_ids=[idea.pk])
    article = ArticleFields(title=title, content_html=f"<p>{title}</p>", word_count=len(title.split()))
    return content_create_for_task(site=task.site, task=task, article=article)


# Six keywords in two topics: enough for stage 1's minimum batch, and a run small enough for tests.
SMALL_RUN_KEYWORDS = [
    "best running shoes",
    "trail running shoes",
    "running shoes for flat feet",
    "cold brew coffee ratio",
    "how to make cold brew coffee",
    "best coffee grinder",
]
