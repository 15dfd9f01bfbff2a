from rest_framework import serializers

from ai.models import AITaskLog


class ActionSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=500)


class IdeasActionSerializer(ActionSerializer):
    count = serializers.IntegerField(min_value=1, max_value=10, required=False)


class ImagePromptsActionSerializer(ActionSerializer):
    images_per_content = serializers.IntegerField(min_value=1, max_value=10, required=False)


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
