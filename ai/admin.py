from django.contrib import admin

from ai.models import AITaskLog, ModelPrice


@admin.register(AITaskLog)
class AITaskLogAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "function",
        "status",
        "site",
        "model",
        "tokens_in",
        "tokens_out",
        "cost_usd",
        "credits_used",
        "duration_ms",
        "automation_run_id",
        "stage",
        "created_at",
    ]
    list_filter = ["status", "function", "provider", "model"]
    search_fields = ["automation_run_id", "error", "celery_task_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = ["model", "input_per_million", "output_per_million", "per_image", "updated_at"]
    search_fields = ["model"]
