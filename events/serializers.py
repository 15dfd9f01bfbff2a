from rest_framework import serializers

from events.models import Delivery, DeliveryAttempt, WebhookEndpoint
from events.types import SUBSCRIBABLE


class WebhookSerializer(serializers.ModelSerializer):
    """`secret` is write-only: it is stored encrypted and never shown again."""

    secret = serializers.CharField(write_only=True, min_length=16, max_length=200)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE), allow_empty=True, max_length=len(SUBSCRIBABLE)
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "secret", "events", "is_active", "description", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["response_code", "error", "duration_ms", "created_at"]


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    webhook = serializers.IntegerField(source="endpoint_id", read_only=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "webhook",
            "status",
            "attempts",
            "response_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "attempt_log",
        ]
        read_only_fields = fields


class EmailSubscriptionSerializer(serializers.Serializer):
    """The caller's own email notifications: on or off, and for which types (empty: every type)."""

    enabled = serializers.BooleanField()
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE), allow_empty=True, max_length=len(SUBSCRIBABLE)
    )
