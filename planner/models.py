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
    DUPLICATE = "duplicate"  # held back by the cannibalization guard until a reviewer releases it


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
    # What the guard found the idea too close to (a page's URL, or an earlier idea's or article's
    # title when it has none), and how close; kept after a release so the reviewer's call is on record.
    duplicate_of_url = models.CharField(max_length=1000, blank=True, default="")
    duplicate_score = models.FloatField(null=True, blank=True)
    # The guard's vector of the idea (float32 bytes) and its model: later ideas are compared with it.
    embedding = models.BinaryField(null=True, blank=True)
    embedding_model = models.CharField(max_length=100, blank=True, default="")

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


class PageSource(models.TextChoices):
    SITEMAP = "sitemap"
    CSV = "csv"
    DESTINATION = "destination"  # the publishing destination's own API
    GENERATED = "generated"  # an article this service wrote for the site


class SitePage(SiteOwned):
    """A page of the client's site (or an article generated for it) that links and the guard know of."""

    url = models.CharField(max_length=1000, blank=True, default="")  # blank: generated, not yet published
    title = models.CharField(max_length=300, blank=True, default="")
    summary = models.TextField(blank=True, default="")
    source = models.CharField(max_length=12, choices=PageSource.choices)
    content_id = models.PositiveBigIntegerField(null=True, blank=True)  # writer's Content, for generated
    lastmod = models.DateTimeField(null=True, blank=True)
    # float32 unit vector, comparable only with vectors of the same embedding_model.
    embedding = models.BinaryField(null=True, blank=True)
    embedding_model = models.CharField(max_length=100, blank=True, default="")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)  # when last checked
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "url"], condition=~models.Q(url=""), name="sitepage_url_unique_per_site"
            ),
            models.UniqueConstraint(
                fields=["site", "content_id"],
                condition=models.Q(content_id__isnull=False),
                name="sitepage_one_per_content",
            ),
        ]
        indexes = [models.Index(fields=["site", "source"], name="sitepage_site_source_idx")]

    def __str__(self):
        return self.url or self.title


class SiteKnowledge(TimeStampedModel):
    """Per site: where its inventory comes from and how links, the guard and the quality gate behave."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="knowledge")
    sitemap_url = models.CharField(max_length=1000, blank=True, default="")
    include_patterns = models.JSONField(default=list, blank=True)  # URL globs; empty: every URL
    exclude_patterns = models.JSONField(default=list, blank=True)
    refresh_hours = models.PositiveIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(24 * 30)]
    )
    refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_error = models.TextField(blank=True, default="")
    links_per_article = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    # Tuned on the labelled site with the offline model (docs/SITE-KNOWLEDGE.md, bench/site_guard.py).
    duplicate_threshold = models.FloatField(
        default=0.65, validators=[MinValueValidator(0.5), MaxValueValidator(1.0)]
    )
    quality_threshold = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )


class BrandVoice(TimeStampedModel):
    """How a site's articles should sound, fed to stages 2, 4 and 5 and checked on every article."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="voice")
    tone = models.CharField(max_length=200, blank=True, default="")
    audience = models.CharField(max_length=300, blank=True, default="")
    point_of_view = models.CharField(max_length=20, blank=True, default="")  # first, second or third person
    reading_level = models.PositiveSmallIntegerField(  # target US school grade; null: no target
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(18)]
    )
    required_terms = models.JSONField(default=list, blank=True)
    banned_terms = models.JSONField(default=list, blank=True)
    sample_paragraph = models.TextField(blank=True, default="")
