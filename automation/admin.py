from django.contrib import admin, messages

from automation.models import AutomationConfig, AutomationLogEntry, AutomationRun
from automation.services import AutomationService
from igny8.errors import ApplicationError


@admin.register(AutomationConfig)
class AutomationConfigAdmin(admin.ModelAdmin):
    list_display = ["site", "is_enabled", "frequency", "scheduled_time", "last_run_at", "next_run_at"]
    list_filter = ["is_enabled", "frequency"]
    search_fields = ["site__name", "site__domain"]
    readonly_fields = ["last_run_at", "next_run_at"]
    raw_id_fields = ["account", "site"]
    actions = ["run_now"]

    @admin.action(description="Run now")
    def run_now(self, request, queryset):
        for config in queryset.select_related("site"):
            _apply(
                request,
                lambda config=config: AutomationService.start_automation(site=config.site),
                str(config.site),
            )


class LogEntryInline(admin.TabularInline):
    model = AutomationLogEntry
    extra = 0
    fields = ["created_at", "stage", "level", "message"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-id"]

    def has_add_permission(self, request, obj=None):
        return False


def _apply(request, operation, label: str) -> None:
    try:
        operation()
        messages.success(request, f"{label}: done.")
    except ApplicationError as error:
        messages.error(request, f"{label}: {error.message}")


@admin.register(AutomationRun)
class AutomationRunAdmin(admin.ModelAdmin):
    list_display = [
        "run_id",
        "site",
        "trigger_type",
        "status",
        "current_stage",
        "total_credits_used",
        "started_at",
    ]
    list_filter = ["status", "trigger_type"]
    search_fields = ["run_id", "site__name"]
    inlines = [LogEntryInline]
    actions = ["pause", "resume", "cancel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def _each(self, request, queryset, operation):
        for run in queryset:
            _apply(request, lambda run=run: operation(run=run), run.run_id)

    @admin.action(description="Pause")
    def pause(self, request, queryset):
        self._each(request, queryset, AutomationService.pause_automation)

    @admin.action(description="Resume")
    def resume(self, request, queryset):
        self._each(request, queryset, AutomationService.resume_automation)

    @admin.action(description="Cancel")
    def cancel(self, request, queryset):
        self._each(request, queryset, AutomationService.cancel_automation)
