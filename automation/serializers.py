from rest_framework import serializers

from automation.models import AutomationConfig, AutomationLogEntry, AutomationRun

RUN_FIELDS = [
    "run_id",
    "site_id",
    "trigger_type",
    "status",
    "current_stage",
    "started_at",
    "paused_at",
    "resumed_at",
    "cancelled_at",
    "completed_at",
    "initial_snapshot",
    "stage_1_result",
    "stage_2_result",
    "stage_3_result",
    "stage_4_result",
    "stage_5_result",
    "stage_6_result",
    "stage_7_result",
    "total_credits_used",
    "error_message",
    "heartbeat_at",
    "claimed",
]


class AutomationRunSerializer(serializers.ModelSerializer):
    site_id = serializers.IntegerField(read_only=True)
    # A running run that no executor has claimed yet is queued: it waits for a worker.
    claimed = serializers.SerializerMethodField()

    def get_claimed(self, run: AutomationRun) -> bool:
        return run.heartbeat_at is not None

    class Meta:
        model = AutomationRun
        fields = RUN_FIELDS
        read_only_fields = RUN_FIELDS


class AutomationConfigSerializer(serializers.ModelSerializer):
    scheduled_time = serializers.TimeField(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"])

    class Meta:
        model = AutomationConfig
        fields = [
            "id",
            "site",
            "is_enabled",
            "frequency",
            "scheduled_time",
            "stage_1_batch_size",
            "stage_2_batch_size",
            "stage_3_batch_size",
            "stage_4_batch_size",
            "stage_5_batch_size",
            "stage_6_batch_size",
            "within_stage_delay",
            "between_stage_delay",
            "images_per_content",
            "max_keywords_per_run",
            "max_clusters_per_run",
            "max_ideas_per_run",
            "max_tasks_per_run",
            "max_content_per_run",
            "max_images_per_run",
            "max_credits_per_run",
            "last_run_at",
            "next_run_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "site", "last_run_at", "next_run_at", "created_at", "updated_at"]


class SiteParamsSerializer(serializers.Serializer):
    site_id = serializers.IntegerField(min_value=1)


class HistoryParamsSerializer(SiteParamsSerializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, default=20)


class RunParamsSerializer(serializers.Serializer):
    run_id = serializers.CharField(max_length=80)
    site_id = serializers.IntegerField(min_value=1, required=False)


class LogParamsSerializer(RunParamsSerializer):
    lines = serializers.IntegerField(min_value=1, max_value=5000, default=100)
    stage = serializers.IntegerField(min_value=1, max_value=7, required=False)


class LogEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AutomationLogEntry
        fields = ["id", "stage", "level", "event", "message", "data", "created_at"]
