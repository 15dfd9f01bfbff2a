from django.contrib import admin

from billing.models import CreditCostConfig, CreditTransaction, CreditUsageLog


@admin.register(CreditCostConfig)
class CreditCostConfigAdmin(admin.ModelAdmin):
    list_display = ["operation_type", "credits", "per_quantity", "unit", "updated_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "transaction_type", "amount", "balance_after", "operation_type", "stage"]
    list_filter = ["transaction_type", "operation_type"]
    search_fields = ["description", "reference_id", "automation_run_id", "account__name"]


@admin.register(CreditUsageLog)
class CreditUsageLogAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "account",
        "operation_type",
        "credits_used",
        "model_used",
        "tokens_in",
        "tokens_out",
    ]
    list_filter = ["operation_type", "model_used"]
    search_fields = ["automation_run_id", "account__name"]
