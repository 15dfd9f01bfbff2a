"""Publishing services without a remote: key rotation, scheduling rules, unschedule, auto-approval."""

import datetime
import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.utils import timezone

from automation.models import AutomationConfig
from events.models import Event
from igny8.encryption import decrypt_secret
from publishing.models import Destination
from publishing.publisher import Claim, publication_claim, publication_fail, publication_succeed
from publishing.remote import RemoteError
from publishing.services import contents_publish, contents_unschedule, destination_create, publishing_tick
from tests.publishing.conftest import make_reviewed_article
from tests.threads import at_once
from writer.models import Content, ContentStatus, SiteStatus

pytestmark = pytest.mark.django_db
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def webhook(site):
    return destination_create(site=site, kind="webhook", url="https://hooks.example.com/in", secret="s3cret")


def test_rotate_secrets_reencrypts_under_the_new_first_key(tenant, settings):
    settings.SECRETS_ENCRYPTION_KEYS = OLD
    destination = webhook(tenant.site)
    settings.SECRETS_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    assert json.loads(out.getvalue()) == {"reencrypted": 1, "unreadable": []}
    settings.SECRETS_ENCRYPTION_KEYS = NEW
    assert decrypt_secret(Destination.objects.get(pk=destination.pk).secret_encrypted) == "s3cret"


def test_approving_twice_at_once_keeps_the_first_slot(tenant):
    webhook(tenant.site)
    AutomationConfig.objects.create(
        account=tenant.account, site=tenant.site, publish_mode="stagger", stagger_minutes=30
    )
    first, second = (make_reviewed_article(site=tenant.site, title=f"A{n}", in_article=0) for n in range(2))
    now = timezone.now()
    contents_publish(site=tenant.site, ids=[first.pk, second.pk], now=now)
    contents_publish(site=tenant.site, ids=[first.pk, second.pk], now=now)
    times = dict(Content.objects.filter(site=tenant.site).values_list("pk", "scheduled_publish_at"))
    assert times == {first.pk: now, second.pk: now + datetime.timedelta(minutes=30)}


def test_unscheduled_articles_stay_approved_and_are_not_picked_up_again(tenant):
    webhook(tenant.site)
    AutomationConfig.objects.create(account=tenant.account, site=tenant.site, auto_approve=True)
    article = make_reviewed_article(site=tenant.site, title="Auto", in_article=0)
    approved, due = publishing_tick(now=timezone.now())
    assert (approved, due) == (1, [article.pk])
    assert contents_unschedule(site=tenant.site, ids=[article.pk]) == 1
    article.refresh_from_db()
    assert (article.status, article.site_status) == (ContentStatus.APPROVED, SiteStatus.NOT_PUBLISHED)
    assert publishing_tick(now=timezone.now()) == (0, [])


def test_review_articles_wait_without_auto_approval_or_without_destination(tenant, other_tenant):
    AutomationConfig.objects.create(account=other_tenant.account, site=other_tenant.site, auto_approve=True)
    make_reviewed_article(site=tenant.site, title="Waits for an editor", in_article=0)
    webhook(tenant.site)
    make_reviewed_article(site=other_tenant.site, title="Waits for a destination", in_article=0)
    assert publishing_tick(now=timezone.now()) == (0, [])


@pytest.mark.django_db(transaction=True)
def test_two_approvals_and_four_deliveries_at_once_admit_one_worker(tenant):
    webhook(tenant.site)
    article = make_reviewed_article(site=tenant.site, title="Raced", in_article=0)

    approvals = at_once(2, lambda _: contents_publish(site=tenant.site, ids=[article.pk]))
    claims = at_once(4, lambda _: publication_claim(content_id=article.pk, now=timezone.now()))

    assert not [outcome for outcome in approvals if isinstance(outcome, Exception)]
    assert sum(isinstance(claim, Claim) for claim in claims) == 1, claims
    assert Content.objects.get(pk=article.pk).site_status == SiteStatus.PUBLISHING


def test_publishing_outcomes_are_events_written_with_them(tenant):
    webhook(tenant.site)
    published, refused, held = (make_reviewed_article(site=tenant.site, title=t) for t in "ABC")
    contents_publish(site=tenant.site, ids=[published.pk, refused.pk, held.pk], when=timezone.now())
    claims = [
        publication_claim(content_id=content.pk, now=timezone.now()) for content in (published, refused, held)
    ]

    publication_succeed(
        claim=claims[0], external_id="7", external_url="https://x.example/a", now=timezone.now()
    )
    publication_fail(
        claim=claims[1], error=RemoteError("title refused", kind="permanent"), now=timezone.now()
    )
    publication_fail(claim=claims[2], error=RemoteError("try later", kind="retry"), now=timezone.now())
    publication_fail(claim=claims[2], error=RemoteError("bad secret", kind="auth"), now=timezone.now())

    events = {event.type: event for event in Event.objects.filter(account_id=tenant.account.pk)}
    assert sorted(events) == ["content.published", "destination.broken", "publish.failed"]  # no retry event
    assert events["content.published"].data == {
        "content_id": published.pk,
        "external_id": "7",
        "external_url": "https://x.example/a",
        "update": False,
    }
    assert events["publish.failed"].data["content_id"] == refused.pk
    assert events["publish.failed"].data["error"] == "title refused"
    assert events["destination.broken"].site_id == tenant.site.pk
