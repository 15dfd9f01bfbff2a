import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from tenancy.models import Account, Site, TimeStampedModel

BATCH_SIZE = [MinValueValidator(1), MaxValueValidator(100)]
DELAY = [MinValueValidator(0), MaxValueValidator(3600)]
CAP = [MinValueValidator(1)]
# The number of stages in `automation.stages.STAGES` (which imports this module, so it cannot be
# imported here); a test holds the two equal.
STAGE_COUNT = 7


class Frequency(models.TextChoices):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class PublishMode(models.TextChoices):
    IMMEDIATE = "immediate"
    TIME_SLOTS = "time_slots"
    STAGGER = "stagger"


def default_time_slots() -> list[str]:
    return ["09:00"]


def validate_time_zone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(f"{name!r} is not a time zone name such as Europe/Berlin or UTC.")


class AutomationConfig(TimeStampedModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="automation_config")
    is_enabled = models.BooleanField(default=False)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    scheduled_time = models.TimeField(default=datetime.time(2, 0))
    stage_1_batch_size = models.PositiveSmallIntegerField(default=20, validators=BATCH_SIZE)
    stage_2_batch_size = models.PositiveSmallIntegerField(default=1, validators=BATCH_SIZE)
    stage_3_batch_size = models.PositiveSmallIntegerField(default=20, validators=BATCH_SIZE)
    stage_4_batch_size = models.PositiveSmallIntegerField(default=1, validators=BATCH_SIZE)
    stage_5_batch_size = models.PositiveSmallIntegerField(default=1, validators=BATCH_SIZE)
    stage_6_batch_size = models.PositiveSmallIntegerField(default=1, validators=BATCH_SIZE)
    # 0, not the reference system's 3 s and 5 s: there the delays were the key's only protection;
    # here every call is paced to the provider's limit (ai.pacing), and a delay only slows a run.
    within_stage_delay = models.PositiveIntegerField(default=0, validators=DELAY)
    between_stage_delay = models.PositiveIntegerField(default=0, validators=DELAY)
    images_per_content = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    max_keywords_per_run = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    max_clusters_per_run = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    max_ideas_per_run = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    max_tasks_per_run = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    max_content_per_run = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    max_images_per_run = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    max_credits_per_run = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    # Credits the site may spend in a calendar month (TIME_ZONE), counted from the ledger; None: no budget.
    monthly_credit_budget = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    last_run_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    # Publishing (read by the publishing app, which sits above automation): when approved articles
    # go out, how many at most, and whether the review gate's articles are approved automatically.
    publish_mode = models.CharField(max_length=10, choices=PublishMode.choices, default=PublishMode.IMMEDIATE)
    time_slots = models.JSONField(default=default_time_slots, blank=True)
    stagger_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)]
    )
    daily_limit = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    weekly_limit = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    monthly_limit = models.PositiveIntegerField(null=True, blank=True, validators=CAP)
    auto_approve = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        indexes = [
            models.Index(fields=["is_enabled"], name="automation_config_enabled_idx"),
            # The scheduler selects the enabled configs of the current hour by a range on this.
            models.Index(
                fields=["scheduled_time"],
                condition=models.Q(is_enabled=True),
                name="automation_config_due_idx",
            ),
        ]

    def __str__(self):
        return f"Automation of {self.site}"

    def batch_size(self, stage: int) -> int:
        return getattr(self, f"stage_{stage}_batch_size")


class RunStatus(models.TextChoices):
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"


ACTIVE_STATUSES = (RunStatus.RUNNING, RunStatus.PAUSED)


class TriggerType(models.TextChoices):
    MANUAL = "manual"
    SCHEDULED = "scheduled"


class AutomationRunQuerySet(models.QuerySet):
    """The one rule for "no executor is alive": the executor's claim and the watchdog both start from it."""

    def without_live_executor(self, *, now: datetime.datetime) -> "AutomationRunQuerySet":
        """Running runs that no executor has reported on for AUTOMATION_STALE_SECONDS (or ever)."""
        stale_before = now - datetime.timedelta(seconds=settings.AUTOMATION_STALE_SECONDS)
        return self.filter(status=RunStatus.RUNNING).filter(
            models.Q(heartbeat_at__isnull=True) | models.Q(heartbeat_at__lt=stale_before)
        )


class AutomationRun(TimeStampedModel):
    run_id = models.CharField(max_length=80, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="automation_runs")
    trigger_type = models.CharField(max_length=10, choices=TriggerType.choices)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    current_stage = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField(auto_now_add=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Why a paused run paused: `user` (the pause action), `budget` (the site's monthly budget) or
    # `rate_limited` (the provider kept calls waiting too long).
    pause_reason = models.CharField(max_length=40, blank=True, default="")
    resumed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    initial_snapshot = models.JSONField(default=dict, blank=True)
    stage_1_result = models.JSONField(null=True, blank=True)
    stage_2_result = models.JSONField(null=True, blank=True)
    stage_3_result = models.JSONField(null=True, blank=True)
    stage_4_result = models.JSONField(null=True, blank=True)
    stage_5_result = models.JSONField(null=True, blank=True)
    stage_6_result = models.JSONField(null=True, blank=True)
    stage_7_result = models.JSONField(null=True, blank=True)
    total_credits_used = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True, default="")
    # Crash recovery: the executor that holds the current token heartbeats; a stale heartbeat lets
    # another executor claim the run (which bumps the token, fencing the old one out).
    fencing_token = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    current_batch = models.JSONField(default=dict, blank=True)
    # A retry restricts the stages it names to these rows ({"<stage>": [ids]}); the others are skipped.
    item_filter = models.JSONField(default=dict, blank=True)
    retry_of = models.CharField(max_length=80, blank=True, default="")

    objects = AutomationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site"],
                condition=models.Q(status__in=["running", "paused"]),
                name="one_active_run_per_site",
            ),
            models.CheckConstraint(
                condition=models.Q(current_stage__gte=1, current_stage__lte=STAGE_COUNT),
                name=f"run_stage_1_to_{STAGE_COUNT}",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "status"], name="run_site_status_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="run_status_heartbeat_idx"),
            models.Index(fields=["site", "-id"], name="run_site_newest_idx"),  # history, newest first
        ]

    def __str__(self):
        return self.run_id

    def stage_result(self, stage: int) -> dict | None:
        return getattr(self, f"stage_{stage}_result")

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AutomationLogEntry(models.Model):
    class Level(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        ERROR = "error"

    run = models.ForeignKey(AutomationRun, on_delete=models.CASCADE, related_name="log_entries")
    stage = models.PositiveSmallIntegerField(null=True, blank=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    event = models.CharField(max_length=40, blank=True, default="")
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        # The logs endpoint reads a run's (or a run stage's) last lines, newest first.
        indexes = [
            models.Index(fields=["run", "stage", "-id"], name="run_log_stage_newest_idx"),
            models.Index(fields=["run", "-id"], name="run_log_newest_idx"),
        ]

    def __str__(self):
        return self.message[:80]


class StageRowCount(models.Model):
    """A signed number of a site's rows of one stage's table, in one status, pending or not.

    Written only by the database triggers of `automation.row_counts` (one row per group a statement
    changed) and folded by `row_counts_compact`; a count is the sum over its group. `site_id` is a
    plain column, not a foreign key: deleting a site deletes its rows, whose triggers record the
    negative counts while the site row is being deleted.
    """

    site_id = models.BigIntegerField()
    stage = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20)
    pending = models.BooleanField()
    n = models.IntegerField()  # SUM of int4 is int8; of int8 it would be numeric, slower to add

    class Meta:
        indexes = [models.Index(fields=["site_id", "stage"], name="stage_row_count_site_idx")]

    def __str__(self):
        return f"site {self.site_id} stage {self.stage} {self.status}: {self.n:+d}"


class ItemFailure(models.Model):
    """An item a run's stage could not process, with why; open until the item leaves its failed state.

    Recorded when the stage loop counts the failed call (the AITaskLog keeps the call itself);
    resolved when a later run, retry or not, has processed the item (`automation.failures`).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    run_id = models.CharField(max_length=80)
    stage = models.PositiveSmallIntegerField()
    function = models.CharField(max_length=40, blank=True, default="")
    item_id = models.BigIntegerField()
    code = models.CharField(max_length=40)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["run_id", "stage", "item_id"], name="item_failure_once_per_run")
        ]
        indexes = [
            models.Index(fields=["site", "stage", "item_id"], name="item_failure_site_item_idx"),
            models.Index(
                fields=["account", "site"],
                condition=models.Q(resolved_at__isnull=True),
                name="item_failure_open_idx",
            ),
            models.Index(fields=["run_id"], name="item_failure_run_idx"),
        ]

    def __str__(self):
        return f"{self.run_id} stage {self.stage} item {self.item_id}: {self.code}"
