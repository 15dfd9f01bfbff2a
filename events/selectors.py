"""Reads of the events app, tenant first."""

from django.db.models import QuerySet

from events.models import Delivery, EmailSubscription, WebhookEndpoint
from tenancy.models import Account


def webhooks_for_account(*, account: Account | None) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(account=account).order_by("id")


def deliveries_for_account(*, account: Account | None) -> QuerySet[Delivery]:
    return Delivery.objects.filter(account=account).select_related("event").order_by("-id")


def email_subscription_of(*, user) -> dict:
    subscription = EmailSubscription.objects.filter(user=user).first()
    return {"enabled": subscription is not None, "events": subscription.events if subscription else []}
