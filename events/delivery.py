"""Dispatching the outbox: fan each event out to its webhook deliveries and emails, then send them.

At least once: a delivery is claimed for EVENTS_DELIVERY_LOCK_SECONDS, sent outside any
transaction, then recorded. A sender that dies mid-request leaves its claim to expire, and the
next dispatch sends the delivery again under the same `Idempotency-Key` (the event id).
"""

import json
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from events.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    EmailNotice,
    EmailSubscription,
    Event,
    WebhookEndpoint,
)
from events.signing import signature
from igny8.encryption import SecretUnreadable, decrypt_secret
from igny8.outbound import OutboundClient, OutboundFailed, UrlNotAllowed

BATCH = 100
logger = logging.getLogger(__name__)


def event_body(event: Event) -> bytes:
    """The webhook body, `{id, type, created_at, account, site, data}`, as the bytes that are signed."""
    payload = {
        "id": str(event.id),
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "account": event.account_id,
        "site": event.site_id,
        "data": event.data,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def email_dedupe_key(event: Event) -> str:
    """One email per type and site per window: a flapping site does not flood an inbox."""
    window = settings.EVENTS_EMAIL_DEDUPE_MINUTES * 60
    return f"{event.type}:{event.site_id}:{int(event.created_at.timestamp()) // window}"


@transaction.atomic
def events_fan_out(*, limit: int = BATCH) -> int:
    """Undispatched events → one delivery per subscribed endpoint, one email notice per subscriber.

    All in one transaction with the events marked dispatched; concurrent dispatchers skip the
    locked events. Returns how many events were dispatched.
    """
    events = list(
        Event.objects.filter(dispatched_at__isnull=True)
        .order_by("created_at")
        .select_for_update(skip_locked=True)[:limit]
    )
    if not events:
        return 0
    accounts = {event.account_id for event in events}
    endpoints = list(WebhookEndpoint.objects.filter(account_id__in=accounts, is_active=True))
    subscriptions = list(EmailSubscription.objects.filter(account_id__in=accounts, user__is_active=True))
    now = timezone.now()
    deliveries, notices = [], []
    for event in events:
        for endpoint in endpoints:
            if endpoint.account_id == event.account_id and endpoint.wants(event.type):
                deliveries.append(
                    Delivery(event=event, endpoint=endpoint, account_id=event.account_id, next_attempt_at=now)
                )
        for subscription in subscriptions:
            if subscription.account_id == event.account_id and subscription.wants(event.type):
                notices.append(
                    EmailNotice(
                        account_id=event.account_id,
                        user_id=subscription.user_id,
                        event=event,
                        dedupe_key=email_dedupe_key(event),
                    )
                )
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    EmailNotice.objects.bulk_create(notices, ignore_conflicts=True)
    Event.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=now)
    return len(events)


@transaction.atomic
def deliveries_claim(*, limit: int = BATCH) -> list[Delivery]:
    """Due deliveries no live sender holds, held for EVENTS_DELIVERY_LOCK_SECONDS by this one."""
    now = timezone.now()
    due = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at")
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("event", "endpoint")[:limit]
    )
    claimed = list(due)
    until = now + timedelta(seconds=settings.EVENTS_DELIVERY_LOCK_SECONDS)
    Delivery.objects.filter(pk__in=[delivery.pk for delivery in claimed]).update(locked_until=until)
    return claimed


def backoff_seconds(attempts: int) -> float:
    """After the n-th failed attempt: base × 2^(n-1), at most EVENTS_RETRY_MAX_SECONDS."""
    return min(settings.EVENTS_RETRY_BASE_SECONDS * 2 ** (attempts - 1), settings.EVENTS_RETRY_MAX_SECONDS)


def delivery_send(delivery: Delivery, client: OutboundClient) -> None:
    """POST the signed event to the endpoint, then record the answer (or the error)."""
    started = time.monotonic()
    code, error = None, ""
    body = event_body(delivery.event)
    try:
        secret = decrypt_secret(delivery.endpoint.secret_encrypted)
        headers = {
            "Content-Type": "application/json",
            "X-IGNY8-Signature": signature(secret=secret, body=body, timestamp=int(time.time())),
            "X-IGNY8-Event": delivery.event.type,
            "Idempotency-Key": str(delivery.event.id),
        }
        response = client.request("POST", delivery.endpoint.url, content=body, headers=headers)
        code = response.status_code
        if not 200 <= code < 300:
            error = f"The endpoint answered {code}."
    except (OutboundFailed, UrlNotAllowed) as failure:
        error = failure.message
    except SecretUnreadable as failure:
        error = str(failure)
    delivery_record(
        delivery=delivery, code=code, error=error, duration_ms=int((time.monotonic() - started) * 1000)
    )


@transaction.atomic
def delivery_record(*, delivery: Delivery, code: int | None, error: str, duration_ms: int) -> None:
    """The attempt in the log and the delivery's new state: delivered, retried later, or given up."""
    DeliveryAttempt.objects.create(
        delivery=delivery, response_code=code, error=error[:2000], duration_ms=duration_ms
    )
    attempts = delivery.attempts + 1
    fields = {"attempts": attempts, "response_code": code, "last_error": error[:2000], "locked_until": None}
    if not error:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=timezone.now())
    elif attempts >= settings.EVENTS_MAX_ATTEMPTS:
        fields.update(status=DeliveryStatus.FAILED)
    else:
        fields.update(next_attempt_at=timezone.now() + timedelta(seconds=backoff_seconds(attempts)))
    Delivery.objects.filter(pk=delivery.pk).update(**fields)


def emails_send(*, limit: int = BATCH) -> int:
    """Send the unsent notices, each marked sent in the transaction that holds it; returns how many.

    A mail server that refuses stops the batch: the notice stays unsent for the next dispatch.
    """
    sent = 0
    for _ in range(limit):
        with transaction.atomic():
            notice = (
                EmailNotice.objects.filter(sent_at__isnull=True)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("event", "user")
                .first()
            )
            if notice is None:
                break
            try:
                email_send(notice)
            except OSError as error:  # smtplib's errors are OSErrors: the server is down or refuses
                logger.warning("events: email to user %s not sent (%s); retried later", notice.user_id, error)
                break
            EmailNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
            sent += 1
    return sent


def email_send(notice: EmailNotice) -> None:
    event = notice.event
    subject = f"[IGNY8] {event.type}" + (f" on site {event.site_id}" if event.site_id else "")
    text = json.dumps(json.loads(event_body(event)), indent=2)
    send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [notice.user.email])


def dispatch_events(*, rounds: int = 10) -> dict:
    """Fan out, send what is due, send the emails; returns the counts (the task's result)."""
    dispatched = delivered = 0
    for _ in range(rounds):
        fanned_out = events_fan_out()
        dispatched += fanned_out
        if fanned_out < BATCH:
            break
    with OutboundClient(timeout=settings.EVENTS_DELIVERY_TIMEOUT) as client:
        for _ in range(rounds):
            claimed = deliveries_claim()
            if not claimed:
                break
            for delivery in claimed:
                delivery_send(delivery, client)
            delivered += len(claimed)
    return {
        "dispatched": dispatched,
        "sent": delivered,
        "emails": emails_send(),
        "next_retry_in": next_retry_in(),
    }


def next_retry_in() -> float | None:
    """Seconds until the soonest pending delivery that no sender holds falls due, or None."""
    now = timezone.now()
    soonest = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return None if soonest is None else max((soonest - now).total_seconds(), 0.0)
