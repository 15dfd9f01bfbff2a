from decimal import Decimal

from django.db import models

from tenancy.models import Account, Site


class AITaskLog(models.Model):
    """One AI call: what ran, for whom, what it consumed and cost, and how it ended."""

    class Status(models.TextChoices):
        SUCCESS = "success"
        FAILED = "failed"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    function = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices)
    provider = models.CharField(max_length=20, default="")
    model = models.CharField(max_length=100, blank=True, default="")
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    credits_used = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    items = models.JSONField(default=list, blank=True, help_text="Ids of the rows the call worked on.")
    error = models.TextField(blank=True, default="")
    automation_run_id = models.CharField(max_length=80, blank=True, default="", db_index=True)
    stage = models.PositiveSmallIntegerField(null=True, blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["site", "created_at"], name="aitasklog_site_idx")]

    def __str__(self):
        return f"{self.function} {self.status} ({self.created_at:%Y-%m-%d %H:%M})"


class ModelPrice(models.Model):
    """USD prices of a model, for the cost recorded on every AI call."""

    model = models.CharField(max_length=100, unique=True)
    input_per_million = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("0"))
    output_per_million = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("0"))
    per_image = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model"]

    def __str__(self):
        return self.model

    def cost(self, *, tokens_in: int = 0, tokens_out: int = 0, images: int = 0) -> Decimal:
        million = Decimal(1_000_000)
        return (
            self.input_per_million * tokens_in / million
            + self.output_per_million * tokens_out / million
            + self.per_image * images
        ).quantize(Decimal("0.000001"))
