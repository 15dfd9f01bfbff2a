"""Serializers of the operator endpoints: failures, retry, re-run from a stage, bulk actions."""

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from automation.bulk import BULK_ACTIONS
from automation.failures import CODES
from automation.models import ItemFailure
from automation.serializers import RunIdField
from automation.stages import STAGES
from igny8.api import QuerySerializer

STAGE_FIELD = {"min_value": 1, "max_value": len(STAGES)}


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
    run_id = RunIdField(required=False)
    include_resolved = serializers.BooleanField(required=False, default=False)


class RetrySerializer(serializers.Serializer):
    """`{run_id}`, `{run_id, stage}` or `{filter: {...}}` (with run_id, a filter is ignored)."""

    run_id = RunIdField(required=False)
    stage = serializers.IntegerField(required=False, **STAGE_FIELD)
    filter = FailureFilterSerializer(required=False)

    def validate(self, attrs):
        if "run_id" not in attrs and "filter" not in attrs:
            raise serializers.ValidationError("Give either run_id (and optionally stage) or filter.")
        return attrs


class RetryRunBodySerializer(serializers.Serializer):
    """The failed items of one run, or of one stage of it."""

    run_id = RunIdField()
    stage = serializers.IntegerField(required=False, **STAGE_FIELD)


class RetryFilterBodySerializer(serializers.Serializer):
    """Every open failure of the caller's sites that matches the filter."""

    filter = FailureFilterSerializer()


RETRY_REQUEST = PolymorphicProxySerializer(
    component_name="RetryRequest",
    serializers=[RetryRunBodySerializer, RetryFilterBodySerializer],
    resource_type_field_name=None,
)


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


class BulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=BULK_ACTIONS)
    site_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=500
    )


class BulkResultSerializer(serializers.Serializer):
    site_id = serializers.IntegerField()
    ok = serializers.BooleanField()
    run_id = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    error = serializers.CharField(required=False)


class BulkResultsSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)
