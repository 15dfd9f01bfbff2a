"""Serializers of the operator endpoints: failures, retry, re-run from a stage, the sites overview."""

from rest_framework import serializers

from automation.failures import CODES
from automation.models import ItemFailure
from igny8.api import QuerySerializer

RUN_ID_FIELD = {"max_length": 80}
STAGE_FIELD = {"min_value": 1, "max_value": 7}


class ItemFailureSerializer(serializers.ModelSerializer):
    site_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = ItemFailure
        fields = [
            "id",
            "run_id",
            "site_id",
            "stage",
            "function",
            "item_id",
            "code",
            "error",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = fields


class FailureFilterSerializer(QuerySerializer):
    """Filters of the failures list and of a filtered retry (all optional)."""

    site_id = serializers.IntegerField(min_value=1, required=False)
    stage = serializers.IntegerField(required=False, **STAGE_FIELD)
    function = serializers.CharField(max_length=40, required=False)
    code = serializers.ChoiceField(choices=CODES, required=False)
    since = serializers.DateTimeField(required=False)


class FailureParamsSerializer(FailureFilterSerializer):
    run_id = serializers.CharField(required=False, **RUN_ID_FIELD)
    include_resolved = serializers.BooleanField(required=False, default=False)


class RetrySerializer(serializers.Serializer):
    """`{run_id}`, `{run_id, stage}` or `{filter: {...}}`."""

    run_id = serializers.CharField(required=False, **RUN_ID_FIELD)
    stage = serializers.IntegerField(required=False, **STAGE_FIELD)
    filter = FailureFilterSerializer(required=False)

    def validate(self, attrs):
        if ("run_id" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError("Give either run_id (and optionally stage) or filter.")
        if "stage" in attrs and "run_id" not in attrs:
            raise serializers.ValidationError({"stage": ["stage goes with run_id; use filter.stage."]})
        return attrs


class RetryRunSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    site_id = serializers.IntegerField()
    status = serializers.CharField()
    items = serializers.IntegerField()


class RetryRefusalSerializer(serializers.Serializer):
    site_id = serializers.IntegerField()
    code = serializers.CharField()
    error = serializers.CharField()


class RetryResultSerializer(serializers.Serializer):
    runs = RetryRunSerializer(many=True)
    refused = RetryRefusalSerializer(many=True)


class RunNowParamsSerializer(QuerySerializer):
    from_stage = serializers.IntegerField(required=False, default=1, **STAGE_FIELD)
