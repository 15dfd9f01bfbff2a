"""The events outbox, signed webhook deliveries with retries, emails, and the events API."""

import pytest
from django.db import transaction

from automation.engine.claim import execute_run
from automation.retries import run_from_stage
from automation.services.config import config_get_or_create, config_update
from automation.services.control import run_pause
from automation.services.runs import start_automation
from events.delivery import dispatch_events
from events.models import Delivery, EmailSubscription, Event
from events.services import event_emit, webhook_create
from events.signing import verify
from tests.automation.test_retries import queued_tasks, quick_config
from tests.conftest import assert_error_envelope
from tests.events.receiver import Receiver
from tests.factories import SMALL_RUN_KEYWORDS, make_keywords, make_user

pytestmark = pytest.mark.django_db
SECRET = "a-secret-of-the-receiver"


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def test_an_event_exists_exactly_when_the_change_it_reports_commits(tenant):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_emit(account_id=tenant.account.pk, type="run.failed", data={})
        raise RuntimeError("the change is rolled back")
    assert not Event.objects.exists()
    event_emit(account_id=tenant.account.pk, type="budget.exhausted", data={}, dedupe_key="once")
    assert (
        event_emit(account_id=tenant.account.pk, type="budget.exhausted", data={}, dedupe_key="once") is None
    )
    assert Event.objects.count() == 1


@pytest.mark.parametrize("event_type", ["content.published", "publish.failed", "destination.broken"])
def test_publishing_events_are_delivered_signed_with_their_idempotency_key(event_type, tenant, receiver):
    webhook_create(account=tenant.account, url=receiver.url, secret=SECRET, events=[event_type])
    event = event_emit(
        account_id=tenant.account.pk, site_id=tenant.site.pk, type=event_type, data={"content_id": 7}
    )
    event_emit(account_id=tenant.account.pk, type="run.failed", data={})  # not chosen by the endpoint
    dispatch_events()
    (request,) = receiver.received()
    headers = request["headers"]
    assert headers["Idempotency-Key"] == str(event.id)
    assert verify(secret=SECRET, body=request["body"], header=headers["X-IGNY8-Signature"])
    assert not verify(secret="another", body=request["body"], header=headers["X-IGNY8-Signature"])
    assert request["json"] == {
        "id": str(event.id),
        "type": event_type,
        "created_at": event.created_at.isoformat(),
        "account": tenant.account.pk,
        "site": tenant.site.pk,
        "data": {"content_id": 7},
    }
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("delivered", 200, 1)


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(tenant, receiver, settings):
    webhook_create(account=tenant.account, url=receiver.url, secret=SECRET, events=[])
    receiver.status = 503
    event_emit(account_id=tenant.account.pk, type="run.failed", data={})
    dispatch_events()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at > delivery.created_at  # backed off: not due again at once
    dispatch_events()
    assert len(receiver.received()) == 1
    Delivery.objects.update(next_attempt_at=delivery.created_at)
    receiver.status = 200
    dispatch_events()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [a.response_code for a in delivery.attempt_log.all()] == [503, 200]
    settings.EVENTS_MAX_ATTEMPTS = 1
    receiver.status = 500
    event_emit(account_id=tenant.account.pk, type="run.failed", data={})
    dispatch_events()
    assert Delivery.objects.filter(status="failed").count() == 1


def test_run_events_are_emitted_with_the_run_and_item_failures_are_batched(fake_openai, tenant):
    quick_config(tenant.site)
    queued_tasks(tenant.site, 3)
    fake_openai.configure(fail_next=[400, 400])
    run = run_from_stage(site=tenant.site, from_stage=4)
    execute_run(run_pk=run.pk)
    types = sorted(Event.objects.filter(data__run_id=run.run_id).values_list("type", flat=True))
    assert types == ["content.ready_for_review", "item.failed", "run.completed"]
    failed = Event.objects.get(type="item.failed")
    assert failed.data["count"] == 2 and {item["code"] for item in failed.data["items"]} == {
        "provider_refused"
    }


def test_a_user_pause_emits_run_paused_with_the_reason(offline, tenant):
    make_keywords(site=tenant.site, texts=SMALL_RUN_KEYWORDS)
    run = start_automation(site=tenant.site)
    run_pause(run=run)
    event = Event.objects.get(type="run.paused")
    assert event.data["reason"] == "user" and event.data["run_id"] == run.run_id


def test_emails_go_to_subscribers_once_per_window_for_a_flapping_site(tenant, mailoutbox):
    editor = make_user(account=tenant.account)
    EmailSubscription.objects.create(account=tenant.account, user=editor, events=["site.idle"])
    for _ in range(3):
        event_emit(
            account_id=tenant.account.pk, site_id=tenant.site.pk, type="site.idle", data={"reason": "x"}
        )
    event_emit(account_id=tenant.account.pk, site_id=tenant.site.pk, type="run.failed", data={})
    dispatch_events()
    assert [message.to for message in mailoutbox] == [[editor.email]]
    assert "site.idle" in mailoutbox[0].subject


def test_webhooks_api_keeps_secrets_write_only_and_other_accounts_out(
    owner_client, viewer_client, other_client, receiver, settings
):
    body = {"url": receiver.url, "secret": SECRET, "events": ["run.failed"], "is_active": True}
    assert_error_envelope(viewer_client.post("/api/v1/events/webhooks/", body, format="json"), 403)
    created = owner_client.post("/api/v1/events/webhooks/", body, format="json")
    assert created.status_code == 201, created.content
    webhook = created.json()["data"]
    assert "secret" not in webhook and SECRET not in created.content.decode()
    url = f"/api/v1/events/webhooks/{webhook['id']}/"
    assert_error_envelope(other_client.get(url), 404)
    assert_error_envelope(other_client.post(f"{url}test/"), 404)
    bad = owner_client.post("/api/v1/events/webhooks/", {**body, "events": ["nope"]}, format="json")
    assert_error_envelope(bad, 400)
    settings.ALLOW_PRIVATE_URLS = False
    assert_error_envelope(
        owner_client.post("/api/v1/events/webhooks/", body, format="json"), 400, "url_not_allowed"
    )
    settings.ALLOW_PRIVATE_URLS = True

    tested = owner_client.post(f"{url}test/")
    assert tested.status_code == 201, tested.content
    dispatch_events()
    assert receiver.received()[0]["json"]["type"] == "webhook.test"
    deliveries = owner_client.get("/api/v1/events/deliveries/").json()
    (row,) = deliveries["results"]
    assert row["status"] == "delivered" and row["attempt_log"][0]["response_code"] == 200
    assert other_client.get("/api/v1/events/deliveries/").json()["count"] == 0
    redeliver = f"/api/v1/events/deliveries/{row['id']}/redeliver/"
    assert_error_envelope(other_client.post(redeliver), 404)
    assert_error_envelope(viewer_client.post(redeliver), 403)
    assert owner_client.post(redeliver).status_code == 200
    dispatch_events()
    keys = [request["headers"]["Idempotency-Key"] for request in receiver.received()]
    assert keys == [row["event_id"]] * 2  # redelivered under the same key: the receiver dedupes
    assert owner_client.patch(url, {"is_active": False}, format="json").json()["data"]["is_active"] is False
    assert owner_client.delete(url).status_code == 204
    assert_error_envelope(other_client.delete(url), 404)


def test_each_user_chooses_their_own_emails(tenant, viewer_client, other_client, mailoutbox):
    url = "/api/v1/events/email_subscription/"
    assert viewer_client.get(url).json()["data"] == {"enabled": False, "events": []}
    saved = viewer_client.put(url, {"enabled": True, "events": ["run.failed"]}, format="json")
    assert saved.status_code == 200 and saved.json()["data"]["events"] == ["run.failed"]
    assert other_client.get(url).json()["data"]["enabled"] is False  # another user, another account
    assert_error_envelope(viewer_client.put(url, {"enabled": True, "events": ["nope"]}, format="json"), 400)
    event_emit(account_id=tenant.account.pk, site_id=tenant.site.pk, type="run.failed", data={})
    dispatch_events()
    assert len(mailoutbox) == 1
    viewer_client.put(url, {"enabled": False, "events": []}, format="json")
    assert not EmailSubscription.objects.exists()


def test_a_run_ended_by_its_credit_cap_says_so_in_run_completed(offline, tenant):
    make_keywords(site=tenant.site, texts=SMALL_RUN_KEYWORDS)
    config = config_get_or_create(site=tenant.site)
    config_update(
        config=config, fields={"max_credits_per_run": 3, "within_stage_delay": 0, "between_stage_delay": 0}
    )
    run = start_automation(site=tenant.site)
    execute_run(run_pk=run.pk)
    assert Event.objects.get(type="run.completed").data["capped"] is True


def test_a_mail_server_that_refuses_leaves_the_email_for_the_next_dispatch(tenant, settings, mailoutbox):
    EmailSubscription.objects.create(account=tenant.account, user=tenant.owner, events=[])
    event_emit(account_id=tenant.account.pk, site_id=tenant.site.pk, type="run.failed", data={})
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    assert dispatch_events()["emails"] == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert dispatch_events()["emails"] == 1
    assert [message.to for message in mailoutbox] == [[tenant.owner.email]]
