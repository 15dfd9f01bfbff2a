from rest_framework import serializers

from billing.models import CreditTransaction
from igny8.api import QuerySerializer


class BalanceSerializer(serializers.Serializer):
    credits = serializers.IntegerField()


class CreditTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditTransaction
        fields = [
            "id",
            "site",
            "transaction_type",
            "amount",
            "balance_after",
            "operation_type",
            "description",
            "reference_id",
            "automation_run_id",
            "stage",
            "created_at",
        ]


class UsageQuerySerializer(QuerySerializer):
    site_id = serializers.IntegerField(min_value=1, required=False)
    since = serializers.DateTimeField(required=False)


class OperationUsageSerializer(serializers.Serializer):
    operation_type = serializers.CharField()
    calls = serializers.IntegerField()
    credits = serializers.IntegerField()
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()
    cost_usd = serializers.DecimalField(max_digits=12, decimal_places=6)


class UsageSerializer(serializers.Serializer):
    total_credits = serializers.IntegerField()
    operations = OperationUsageSerializer(many=True)
