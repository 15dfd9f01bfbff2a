from rest_framework import serializers

from igny8.api import ReplaceSerializerMixin
from igny8.filters import MAX_ID
from publishing.models import Destination, DestinationKind


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
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "site", "status", "last_error", "verified_at", "created_at", "updated_at"]

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
