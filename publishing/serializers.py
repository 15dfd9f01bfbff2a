from rest_framework import serializers

from automation.models import RunStatus
from igny8.api import QuerySerializer, ReplaceSerializerMixin
from igny8.filters import MAX_ID
from publishing.models import Destination, DestinationHealth, DestinationKind
from publishing.overview import ORDERINGS


class DestinationSerializer(serializers.ModelSerializer):
    """A destination; `secret` (the application password or webhook secret) is write-only."""

    secret = serializers.CharField(write_only=True, max_length=500, trim_whitespace=False)
    url = serializers.URLField(max_length=500)

    class Meta:
        model = Destination
        fields = [
            "id",
            "site",
            "kind",
            "url",
            "username",
            "secret",
            "post_status",
            "status",
            "last_error",
            "verified_at",
            "pages_imported_at",
            "pages_import_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "site",
            "status",
            "last_error",
            "verified_at",
            "pages_imported_at",
            "pages_import_error",
            "created_at",
            "updated_at",
        ]

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Use an http:// or https:// address.")
        return value

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        username = attrs.get("username", getattr(self.instance, "username", ""))
        if kind == DestinationKind.WORDPRESS and not username:
            raise serializers.ValidationError({"username": ["A WordPress destination needs the user name."]})
        return attrs


class DestinationReplaceSerializer(ReplaceSerializerMixin, DestinationSerializer):
    """A PUT names every field but the secret, which stays unless a new one is given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].required = False
        self.fields["username"].required = False


class VerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    code = serializers.ChoiceField(
        choices=[
            "ok",
            "bad_url",
            "not_wordpress",
            "rest_disabled",
            "wrong_password",
            "missing_capability",
            "wrong_secret",
            "unreachable",
            "refused",
            "secret_unreadable",
        ]
    )
    message = serializers.CharField()
    user = serializers.DictField(allow_null=True)
    capabilities = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    destination = DestinationSerializer()


def content_ids() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=500
    )


class PublishSerializer(serializers.Serializer):
    ids = content_ids()
    when = serializers.DateTimeField(required=False, help_text="Omit to follow the site's schedule.")


class UnscheduleSerializer(serializers.Serializer):
    ids = content_ids()


class ScheduledItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    site_status = serializers.CharField()
    scheduled_publish_at = serializers.DateTimeField(allow_null=True)


class PublishResultSerializer(serializers.Serializer):
    scheduled = ScheduledItemSerializer(many=True)


class UnscheduleResultSerializer(serializers.Serializer):
    unscheduled = serializers.IntegerField()


class DestinationImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    removed = serializers.IntegerField(help_text="Destination pages no longer listed, removed.")


class OverviewParamsSerializer(QuerySerializer):
    ordering = serializers.ChoiceField(
        choices=[*ORDERINGS, *(f"-{name}" for name in ORDERINGS)], required=False, default="name"
    )
    needs_attention = serializers.BooleanField(required=False, default=False)
    status = serializers.ChoiceField(choices=RunStatus.values, required=False)
    search = serializers.CharField(max_length=100, required=False)


class OverviewLastRunSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    credits = serializers.IntegerField()
    pause_reason = serializers.CharField(allow_blank=True)


class OverviewPublishingSerializer(serializers.Serializer):
    scheduled = serializers.IntegerField(help_text="Articles scheduled or being published.")
    failed = serializers.IntegerField(
        help_text="Articles publishing gave up on (retry them with content/publish/)."
    )
    published_this_month = serializers.IntegerField()


class OverviewRowSerializer(serializers.Serializer):
    site_id = serializers.IntegerField()
    name = serializers.CharField()
    domain = serializers.CharField()
    is_active = serializers.BooleanField()
    schedule_enabled = serializers.BooleanField()
    next_run_at = serializers.DateTimeField(allow_null=True)
    last_run = OverviewLastRunSerializer(allow_null=True)
    failed_items = serializers.IntegerField()
    review_queue = serializers.IntegerField()
    publishing = OverviewPublishingSerializer()
    destination = serializers.ChoiceField(
        choices=DestinationHealth.choices,
        allow_null=True,
        help_text="The site's destination status; null when it has none. A broken one holds the "
        "site's publishing queue (and the site needs attention) until it is fixed or verified again.",
    )
    credits_this_month = serializers.IntegerField()
    monthly_credit_budget = serializers.IntegerField(allow_null=True)
    budget_left = serializers.IntegerField(allow_null=True)
    needs_attention = serializers.BooleanField()


class OverviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    sites = OverviewRowSerializer(many=True)
