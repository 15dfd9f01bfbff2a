import zoneinfo

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from automation import run_ids
from automation.models import AutomationConfig, AutomationLogEntry, AutomationRun
from automation.stages import STAGES
from igny8.api import QuerySerializer

RUN_FIELDS = [
    "run_id",
    "site_id",
    "trigger_type",
    "status",
    "current_stage",
    "started_at",
    "paused_at",
    "pause_reason",
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


STAGE_TYPES = ["AI", "Local", "Manual"]
# IANA names; the GMT0 spellings of UTC are left out: generated clients turn "GMT+0" and "GMT0" into
# the same enum member and refuse the schema.
UTC_ALIASES = {"GMT0", "GMT+0", "GMT-0", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0"}
TIME_ZONES = sorted(zoneinfo.available_timezones() - UTC_ALIASES)
HOUR_MINUTE_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


@extend_schema_field({"type": "string", "pattern": HOUR_MINUTE_PATTERN, "example": "09:00"})
class HourMinuteField(serializers.TimeField):
    """`HH:MM` out; `HH:MM` or `HH:MM:SS` in."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"},
        "minItems": 1,
        "maxItems": 48,
        "uniqueItems": True,
    }
)
class TimeSlotsField(serializers.ListField):
    """`["09:00", "14:00"]`: distinct `HH:MM` times of day in the config's `time_zone`, kept sorted.
    The `time_slots` mode publishes at them; the other modes keep them for when it is chosen."""

    def __init__(self, **kwargs):
        child = serializers.RegexField(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", max_length=5)
        super().__init__(child=child, min_length=1, max_length=48, required=False, **kwargs)

    def to_internal_value(self, data):
        slots = super().to_internal_value(data)
        if len(set(slots)) != len(slots):
            raise serializers.ValidationError("Each time slot may appear once.")
        return sorted(slots)


class AutomationConfigSerializer(serializers.ModelSerializer):
    """Config read and update (PUT and PATCH alike take any subset of the writable fields)."""

    scheduled_time = HourMinuteField()
    time_slots = TimeSlotsField()
    time_zone = serializers.ChoiceField(choices=TIME_ZONES, required=False)

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
            "publish_mode",
            "time_slots",
            "stagger_minutes",
            "daily_limit",
            "weekly_limit",
            "monthly_limit",
            "auto_approve",
            "time_zone",
            "monthly_credit_budget",
            "last_run_at",
            "next_run_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "site", "last_run_at", "next_run_at", "created_at", "updated_at"]


class SiteParamsSerializer(QuerySerializer):
    site_id = serializers.IntegerField(min_value=1)


class HistoryParamsSerializer(SiteParamsSerializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, default=20)


@extend_schema_field(run_ids.SCHEMA)
class RunIdField(serializers.CharField):
    """A run id; one of another shape names no run and is answered 404 like any unknown run."""

    def __init__(self, **kwargs):
        super().__init__(max_length=run_ids.MAX_LENGTH, **kwargs)


class RunParamsSerializer(QuerySerializer):
    run_id = RunIdField()
    site_id = serializers.IntegerField(min_value=1, required=False)


class LogParamsSerializer(RunParamsSerializer):
    lines = serializers.IntegerField(min_value=1, max_value=5000, default=100)
    stage = serializers.IntegerField(min_value=1, max_value=len(STAGES), required=False)


class ProcessingParamsSerializer(SiteParamsSerializer):
    run_id = RunIdField(required=False)


class LogEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AutomationLogEntry
        fields = ["id", "stage", "level", "event", "message", "data", "created_at"]


# The shapes below document answers built from selectors (the API reference and generated clients
# read them); the views render plain dicts.


class StageOverviewSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=len(STAGES))
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=STAGE_TYPES)
    pending = serializers.IntegerField()
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())


class PipelineOverviewSerializer(serializers.Serializer):
    stages = StageOverviewSerializer(many=True)


class StageEstimateSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=len(STAGES))
    name = serializers.CharField()
    pending = serializers.IntegerField()
    projected_items = serializers.IntegerField()
    credits = serializers.IntegerField()


class MonthlyBudgetSerializer(serializers.Serializer):
    """This month's spending of the site against its `monthly_credit_budget` (null: no budget)."""

    month = serializers.CharField()
    budget = serializers.IntegerField(allow_null=True)
    spent = serializers.IntegerField()
    left = serializers.IntegerField(allow_null=True)


class EstimateSerializer(serializers.Serializer):
    estimated_credits = serializers.IntegerField()
    current_balance = serializers.IntegerField()
    required_with_buffer = serializers.IntegerField()
    sufficient = serializers.BooleanField()
    stages = StageEstimateSerializer(many=True)
    monthly_budget = MonthlyBudgetSerializer()


class RunStartedSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()
    monthly_budget = MonthlyBudgetSerializer()


class CurrentRunSerializer(serializers.Serializer):
    run = AutomationRunSerializer(allow_null=True)


class HistorySerializer(serializers.Serializer):
    runs = AutomationRunSerializer(many=True)


class CreditBreakdownStageSerializer(serializers.Serializer):
    stage = serializers.IntegerField(allow_null=True)
    credits = serializers.IntegerField()
    transactions = serializers.IntegerField()
    operations = serializers.DictField(child=serializers.IntegerField())


class CreditBreakdownSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    stages = CreditBreakdownStageSerializer(many=True)


class RunDetailSerializer(AutomationRunSerializer):
    credit_breakdown = CreditBreakdownSerializer(read_only=True)

    class Meta(AutomationRunSerializer.Meta):
        fields = [*AutomationRunSerializer.Meta.fields, "credit_breakdown"]


class RunLogSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    lines = LogEntrySerializer(many=True)
    log = serializers.CharField()


class ItemLabelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class CurrentProcessingSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    status = serializers.CharField()
    stage = serializers.IntegerField(min_value=1, max_value=len(STAGES))
    stage_name = serializers.CharField()
    processed = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.FloatField()
    in_flight = ItemLabelSerializer(many=True)
    up_next = ItemLabelSerializer(many=True)
    remaining = serializers.IntegerField()
