import uuid

from django.conf import settings
from django.db import models

from tenancy.models import Account, Site, TimeStampedModel


class Event(models.Model):
    """The outbox: written in the transaction of the change it reports, dispatched afterwards."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    type = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    # Events that must happen once (a budget threshold per site and month) carry a key.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(dispatched_at__isnull=True),
                name="event_undispatched_idx",
            ),
            models.Index(fields=["account", "type", "-created_at"], name="event_account_type_idx"),
        ]

    def __str__(self):
        return f"{self.type} {self.id}"


class WebhookEndpoint(TimeStampedModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=2000)
    secret_encrypted = models.TextField()  # igny8.encryption: never stored or shown in clear
    events = models.JSONField(default=list, blank=True)  # the types it receives; empty: every type
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.is_active and (not self.events or event_type in self.events)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after EVENTS_MAX_ATTEMPTS; redeliver sets it pending again


class Delivery(models.Model):
    """One event to one endpoint, tried until a 2xx answers (at least once)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A sender holds the delivery until then; a sender that died lets it go when this passes.
    locked_until = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_once_per_endpoint")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_due_idx",
            ),
            models.Index(fields=["account", "-id"], name="delivery_account_newest_idx"),
        ]

    def __str__(self):
        return f"{self.event_id} → {self.endpoint_id}: {self.status}"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per request sent, with the answer's code or the error."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"delivery {self.delivery_id}: {self.response_code or self.error[:40]}"


class EmailSubscription(TimeStampedModel):
    """A user who receives email for the chosen event types (empty: every type) of the account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    events = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"emails for user {self.user_id}"

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class EmailNotice(models.Model):
    """One email to send; unique per user, event type, site and window, so a flapping site mails once."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    dedupe_key = models.CharField(max_length=200)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"], name="email_once_per_window")]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="email_unsent_idx"
            )
        ]

    def __str__(self):
        return f"{self.dedupe_key} → user {self.user_id}"
