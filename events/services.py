"""Events: emitting into the outbox (in the caller's transaction) and the account's webhook endpoints."""

import logging
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from events.models import Delivery, DeliveryStatus, EmailSubscription, Event, WebhookEndpoint
from events.types import EVENT_TYPES, SUBSCRIBABLE
from igny8.encryption import encrypt_secret
from igny8.errors import NotFound, ValidationFailed
from igny8.outbound import Policy, UrlNotAllowed
from tenancy.models import Account

logger = logging.getLogger(__name__)


def event_emit(
    *, account_id: int, type: str, data: dict, site_id: int | None = None, dedupe_key: str | None = None
) -> Event | None:
    """Write an event into the outbox, in the caller's transaction: it exists exactly if the change does.

    With a `dedupe_key` an event already emitted under that key is not written again (None is
    returned). Dispatch is queued once the transaction commits; a lost dispatch is swept by beat.
    Raises ValueError for an unknown type (a programming error).
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    try:
        with transaction.atomic():  # a savepoint: a duplicate key leaves the caller's transaction usable
            event = Event.objects.create(
                account_id=account_id, site_id=site_id, type=type, data=data, dedupe_key=dedupe_key
            )
    except IntegrityError:
        if dedupe_key and Event.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    transaction.on_commit(_dispatch_soon)
    return event


def _dispatch_soon() -> None:
    from events.tasks import dispatch_events_task  # the task module imports this one

    try:
        dispatch_events_task.delay()
    except Exception as error:  # the broker is down: the beat sweep dispatches it later
        logger.warning("events: dispatch not queued (%s); the sweep will send it", error)


def check_url(url: str) -> None:
    """Refuse a URL the outbound client would refuse (scheme, private address unless allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("The URL must be http or https.", errors={"url": ["Must be http(s)."]})
    try:
        Policy.from_settings().checked_address(parts.hostname, parts.port or 443)
    except UrlNotAllowed as error:
        raise ValidationFailed(
            error.message, code="url_not_allowed", errors={"url": [error.message]}
        ) from None
    except Exception as error:  # DNS failure and the like: the URL may work later, say so now
        message = getattr(error, "message", str(error))
        raise ValidationFailed(message, code="url_unreachable", errors={"url": [message]}) from None


def check_events(events: list[str]) -> None:
    unknown = sorted(set(events) - set(SUBSCRIBABLE))
    if unknown:
        message = f"Unknown event types: {', '.join(unknown)}."
        raise ValidationFailed(message, errors={"events": [message]})


def webhook_create(
    *,
    account: Account,
    url: str,
    secret: str,
    events: list[str],
    description: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    """A new endpoint; its secret is stored encrypted. Raises ValidationFailed for a refused URL or type."""
    check_url(url)
    check_events(events)
    return WebhookEndpoint.objects.create(
        account=account,
        url=url,
        secret_encrypted=encrypt_secret(secret),
        events=events,
        description=description,
        is_active=is_active,
    )


def webhook_update(*, endpoint: WebhookEndpoint, fields: dict) -> WebhookEndpoint:
    """Change the fields given (a new `secret` is encrypted). Raises ValidationFailed."""
    if "url" in fields:
        check_url(fields["url"])
    if "events" in fields:
        check_events(fields["events"])
    if "secret" in fields:
        endpoint.secret_encrypted = encrypt_secret(fields.pop("secret"))
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_send_test(*, endpoint: WebhookEndpoint) -> Delivery:
    """A `webhook.test` event and its delivery to this endpoint only, committed together."""
    event = Event.objects.create(
        account_id=endpoint.account_id,
        type="webhook.test",
        data={"endpoint_id": endpoint.pk},
        dispatched_at=timezone.now(),
    )
    delivery = Delivery.objects.create(
        event=event, endpoint=endpoint, account_id=endpoint.account_id, next_attempt_at=timezone.now()
    )
    transaction.on_commit(_dispatch_soon)
    return delivery


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send the delivery again (same event id, so the same Idempotency-Key); its log keeps the past."""
    updated = Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), locked_until=None
    )
    if not updated:
        raise NotFound("Delivery not found.")
    transaction.on_commit(_dispatch_soon)
    delivery.refresh_from_db()
    return delivery


def email_subscription_set(*, user, events: list[str], enabled: bool) -> dict:
    """The user's own email subscription: the types chosen (empty: all), or none when not enabled.

    Raises ValidationFailed for an unknown type.
    """
    check_events(events)
    if not enabled:
        EmailSubscription.objects.filter(user=user).delete()
        return {"enabled": False, "events": []}
    EmailSubscription.objects.update_or_create(
        user=user, defaults={"account_id": user.account_id, "events": events}
    )
    return {"enabled": True, "events": events}
