from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from ai.models import AITaskLog
from igny8.filters import MAX_ID


class ActionSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=500)


class IdeasActionSerializer(ActionSerializer):
    count = serializers.IntegerField(min_value=1, max_value=10, required=False)


class ImagePromptsActionSerializer(ActionSerializer):
    images_per_content = serializers.IntegerField(min_value=1, max_value=10, required=False)


class AddLinksSerializer(serializers.Serializer):
    """`{ids}` (the site's articles) or `{all: true}` (every article of the site that may gain links)."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=500,
        required=False,
    )
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if bool(attrs.get("ids")) == bool(attrs.get("all")):
            raise serializers.ValidationError({"ids": ["Give either ids or all: true."]})
        return attrs


class AddLinksIdsSerializer(serializers.Serializer):
    """Some articles of the site."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=500
    )


class AddLinksAllSerializer(serializers.Serializer):
    """Every article of the site that may gain links."""

    all = serializers.ChoiceField(choices=[True])


ADD_LINKS_REQUEST = PolymorphicProxySerializer(
    component_name="AddLinks",
    serializers=[AddLinksIdsSerializer, AddLinksAllSerializer],
    resource_type_field_name=None,
)


class AddLinksResultSerializer(serializers.Serializer):
    requested = serializers.IntegerField()
    linked = serializers.IntegerField(help_text="Articles that gained links.")
    links_added = serializers.IntegerField()
    skipped = serializers.IntegerField(
        help_text="Published, already full, no fitting page, or edited meanwhile."
    )


class QueuedSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    status_url = serializers.CharField()


class AITaskLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = AITaskLog
        fields = [
            "id",
            "site",
            "function",
            "status",
            "provider",
            "model",
            "tokens_in",
            "tokens_out",
            "cost_usd",
            "credits_used",
            "duration_ms",
            "items",
            "error",
            "automation_run_id",
            "stage",
            "celery_task_id",
            "created_at",
        ]


class TaskStateSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    state = serializers.CharField()
    progress = serializers.DictField(allow_null=True)
    result = serializers.DictField(allow_null=True)
    error = serializers.CharField(allow_null=True)
