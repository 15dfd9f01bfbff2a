from django.db import models

from planner.models import Cluster, ContentIdea, ContentStructure, ContentType, SiteOwned


class TaskStatus(models.TextChoices):
    QUEUED = "queued"
    COMPLETED = "completed"


class ContentStatus(models.TextChoices):
    DRAFT = "draft"
    REVIEW = "review"
    APPROVED = "approved"
    PUBLISHED = "published"


class SiteStatus(models.TextChoices):
    """Where the article stands on the client's site (the publishing app moves it)."""

    NOT_PUBLISHED = "not_published"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"


class ImageStatus(models.TextChoices):
    PENDING = "pending"
    GENERATED = "generated"
    FAILED = "failed"


class ImageType(models.TextChoices):
    FEATURED = "featured"
    IN_ARTICLE = "in_article"


class Task(SiteOwned):
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    cluster = models.ForeignKey(
        Cluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    idea = models.ForeignKey(
        ContentIdea, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    content_type = models.CharField(max_length=20, choices=ContentType.choices, default=ContentType.POST)
    content_structure = models.CharField(
        max_length=20, choices=ContentStructure.choices, default=ContentStructure.ARTICLE
    )
    keywords = models.JSONField(default=list, blank=True)
    word_count = models.PositiveIntegerField(default=1000)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.QUEUED)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One task per idea: queuing an idea twice must not make two articles.
            models.UniqueConstraint(
                fields=["idea"], condition=models.Q(idea__isnull=False), name="task_one_per_idea"
            )
        ]
        indexes = [
            models.Index(fields=["site", "status"], name="task_site_status_idx"),
            # The pipeline's pending queries count these rows and read the first ones by id.
            models.Index(
                fields=["site", "id"], condition=models.Q(status=TaskStatus.QUEUED), name="task_queued_idx"
            ),
        ]

    def __str__(self):
        return self.title


class Content(SiteOwned):
    task = models.OneToOneField(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="content"
    )
    title = models.CharField(max_length=300)
    content_html = models.TextField(blank=True, default="")
    word_count = models.PositiveIntegerField(default=0)
    meta_title = models.CharField(max_length=300, blank=True, default="")
    meta_description = models.TextField(blank=True, default="")
    primary_keyword = models.CharField(max_length=255, blank=True, default="")
    secondary_keywords = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    cluster = models.ForeignKey(
        Cluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="contents"
    )
    content_type = models.CharField(max_length=20, choices=ContentType.choices, default=ContentType.POST)
    content_structure = models.CharField(
        max_length=20, choices=ContentStructure.choices, default=ContentStructure.ARTICLE
    )
    source = models.CharField(max_length=20, default="igny8")
    status = models.CharField(max_length=10, choices=ContentStatus.choices, default=ContentStatus.DRAFT)
    site_status = models.CharField(
        max_length=15, choices=SiteStatus.choices, default=SiteStatus.NOT_PUBLISHED
    )
    scheduled_publish_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=64, blank=True, default="")
    external_url = models.URLField(max_length=1000, blank=True, default="")
    publish_error = models.TextField(blank=True, default="")
    links = models.JSONField(default=list, blank=True)  # internal links: [{url, anchor}]
    quality = models.JSONField(default=dict, blank=True)  # the quality gate's {score, findings, voice}
    regenerated = models.BooleanField(default=False)  # the quality gate had it written again once

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["site", "status"], name="content_site_status_idx"),
            # The publishing beat reads what is due: scheduled rows by time.
            models.Index(
                fields=["scheduled_publish_at"],
                condition=models.Q(site_status="scheduled"),
                name="content_publish_due_idx",
            ),
        ]

    def __str__(self):
        return self.title


class Image(SiteOwned):
    content = models.ForeignKey(Content, on_delete=models.CASCADE, related_name="images")
    image_type = models.CharField(max_length=12, choices=ImageType.choices)
    prompt = models.TextField()
    image_url = models.CharField(max_length=500, blank=True, default="")
    image_path = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=10, choices=ImageStatus.choices, default=ImageStatus.PENDING)
    position = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["content_id", "position"]
        constraints = [models.UniqueConstraint(fields=["content", "position"], name="image_position_unique")]
        indexes = [
            models.Index(fields=["site", "status"], name="image_site_status_idx"),
            models.Index(
                fields=["site", "id"],
                condition=models.Q(status=ImageStatus.PENDING),
                name="image_pending_idx",
            ),
        ]

    def __str__(self):
        return f"{self.image_type} #{self.position} of {self.content_id}"
