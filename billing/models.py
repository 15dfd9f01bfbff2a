from django.db import models

from tenancy.models import Account, Site, TimeStampedModel


class OperationType(models.TextChoices):
    CLUSTERING = "clustering", "Keyword clustering"
    IDEA_GENERATION = "idea_generation", "Idea generation"
    CONTENT_GENERATION = "content_generation", "Content generation"
    IMAGE_PROMPT_EXTRACTION = "image_prompt_extraction", "Image prompt extraction"
    IMAGE_GENERATION = "image_generation", "Image generation"


class CreditCostConfig(TimeStampedModel):
    """`credits` for every started `per_quantity` units of work: 1 credit per 5 keywords, 5 per image."""

    operation_type = models.CharField(max_length=40, choices=OperationType.choices, unique=True)
    credits = models.PositiveIntegerField()
    per_quantity = models.PositiveIntegerField(default=1)
    unit = models.CharField(max_length=20)
    description = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(per_quantity__gte=1), name="cost_per_quantity_gte_1")
        ]

    def __str__(self):
        return f"{self.operation_type}: {self.credits} per {self.per_quantity} {self.unit}"


class TransactionType(models.TextChoices):
    DEDUCTION = "deduction", "Deduction"
    GRANT = "grant", "Grant"
    REFUND = "refund", "Refund"


class CreditTransaction(models.Model):
    """The ledger: one row per movement of an account's credits, with the balance right after it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="credit_transactions")
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    transaction_type = models.CharField(max_length=20, choices=TransactionType.choices)
    amount = models.IntegerField(help_text="Signed: negative for deductions.")
    balance_after = models.IntegerField()
    operation_type = models.CharField(max_length=40, blank=True, default="")
    description = models.CharField(max_length=500, blank=True, default="")
    reference_id = models.CharField(max_length=120, null=True, blank=True, unique=True)
    automation_run_id = models.CharField(max_length=80, blank=True, default="", db_index=True)
    stage = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["automation_run_id", "stage"], name="ledger_run_stage_idx")]

    def __str__(self):
        return f"{self.transaction_type} {self.amount} ({self.account_id})"


class CreditUsageLog(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="usage_logs")
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    transaction = models.OneToOneField(CreditTransaction, on_delete=models.CASCADE, related_name="usage")
    operation_type = models.CharField(max_length=40)
    credits_used = models.PositiveIntegerField()
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    model_used = models.CharField(max_length=100, blank=True, default="")
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    automation_run_id = models.CharField(max_length=80, blank=True, default="", db_index=True)
    stage = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "site", "created_at"], name="usage_account_site_idx")]

    def __str__(self):
        return f"{self.operation_type} {self.credits_used} ({self.account_id})"
