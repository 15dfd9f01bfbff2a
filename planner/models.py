from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from tenancy.models import Account, Site, TimeStampedModel


class SiteOwned(TimeStampedModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Intent(models.TextChoices):
    INFORMATIONAL = "informational"
    NAVIGATIONAL = "navigational"
    COMMERCIAL = "commercial"
    TRANSACTIONAL = "transactional"


class KeywordStatus(models.TextChoices):
    NEW = "new"
    MAPPED = "mapped"


class ClusterStatus(models.TextChoices):
    NEW = "new"
    MAPPED = "mapped"


class IdeaStatus(models.TextChoices):
    NEW = "new"
    QUEUED = "queued"
    COMPLETED = "completed"


class ContentType(models.TextChoices):
    POST = "post"
    PAGE = "page"
    PRODUCT = "product"
    TAXONOMY = "taxonomy"


class ContentStructure(models.TextChoices):
    ARTICLE = "article"
    GUIDE = "guide"
    COMPARISON = "comparison"
    REVIEW = "review"
    LISTICLE = "listicle"
    LANDING_PAGE = "landing_page"


class Cluster(SiteOwned):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    keywords_count = models.PositiveIntegerField(default=0)
    volume = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=ClusterStatus.choices, default=ClusterStatus.NEW)
    disabled = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(Lower("name"), "site", name="cluster_name_unique_per_site")]
        indexes = [
            models.Index(fields=["site", "status", "disabled"], name="cluster_site_status_idx"),
            # The pipeline's pending queries count these rows and read the first ones by id.
            models.Index(
                fields=["site", "id"],
                condition=models.Q(status=ClusterStatus.NEW, disabled=False),
                name="cluster_ready_for_ideas_idx",
            ),
        ]

    def __str__(self):
        return self.name


class Keyword(SiteOwned):
    keyword = models.CharField(max_length=255)
    volume = models.PositiveIntegerField(default=0)
    difficulty = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    intent = models.CharField(max_length=20, choices=Intent.choices, default=Intent.INFORMATIONAL)
    cluster = models.ForeignKey(
        Cluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="keywords"
    )
    status = models.CharField(max_length=10, choices=KeywordStatus.choices, default=KeywordStatus.NEW)
    disabled = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("keyword"), "site", name="keyword_unique_per_site"),
            models.CheckConstraint(
                condition=models.Q(difficulty__lte=100), name="keyword_difficulty_lte_100"
            ),
        ]
        indexes = [
            # With the cluster: the overview counts statuses and pending keywords from the index alone.
            models.Index(fields=["site", "status", "disabled", "cluster"], name="keyword_status_cluster_idx"),
            models.Index(
                fields=["site", "id"],
                condition=models.Q(status=KeywordStatus.NEW, cluster__isnull=True, disabled=False),
                name="keyword_ready_to_cluster_idx",
            ),
        ]

    def __str__(self):
        return self.keyword


class ContentIdea(SiteOwned):
    idea_title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    keyword_cluster = models.ForeignKey(
        Cluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="ideas"
    )
    keywords = models.ManyToManyField(Keyword, blank=True, related_name="ideas")
    content_type = models.CharField(max_length=20, choices=ContentType.choices, default=ContentType.POST)
    content_structure = models.CharField(
        max_length=20, choices=ContentStructure.choices, default=ContentStructure.ARTICLE
    )
    estimated_word_count = models.PositiveIntegerField(default=1000)
    status = models.CharField(max_length=10, choices=IdeaStatus.choices, default=IdeaStatus.NEW)
    disabled = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["site", "status", "disabled"], name="idea_site_status_idx"),
            models.Index(
                fields=["site", "id"],
                condition=models.Q(status=IdeaStatus.NEW, disabled=False),
                name="idea_ready_for_tasks_idx",
            ),
        ]

    def __str__(self):
        return self.idea_title
