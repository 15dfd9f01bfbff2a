"""Where a site's articles are published, and the bookkeeping that makes each publish happen once."""

import uuid

from django.db import models

from planner.models import SiteOwned
from writer.models import Content, Image


class DestinationKind(models.TextChoices):
    WORDPRESS = "wordpress"
    WEBHOOK = "webhook"


class PostStatus(models.TextChoices):
    """The status the remote post is given (WordPress's names)."""

    DRAFT = "draft"
    PENDING = "pending"
    PUBLISH = "publish"
    FUTURE = "future"


class DestinationHealth(models.TextChoices):
    UNVERIFIED = "unverified"
    OK = "ok"
    BROKEN = "broken"


class Destination(SiteOwned):
    """The one place a site's articles go: a WordPress site or a signed webhook."""

    kind = models.CharField(max_length=10, choices=DestinationKind.choices)
    url = models.URLField(max_length=500)
    username = models.CharField(max_length=150, blank=True, default="")
    # A Fernet token (igny8.encryption); the plain secret is never stored, returned or logged.
    secret_encrypted = models.TextField()
    post_status = models.CharField(max_length=10, choices=PostStatus.choices, default=PostStatus.DRAFT)
    status = models.CharField(
        max_length=10, choices=DestinationHealth.choices, default=DestinationHealth.UNVERIFIED
    )
    last_error = models.TextField(blank=True, default="")
    verified_at = models.DateTimeField(null=True, blank=True)
    # Set by the first import of its pages into the site inventory; from then on the beat imports them
    # again every `refresh_hours` of the site (publishing.inventory).
    pages_imported_at = models.DateTimeField(null=True, blank=True)
    pages_import_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["site"], name="publishing_one_destination_per_site")]

    def __str__(self):
        return f"{self.kind} {self.url}"

    def __repr__(self):
        return f"<Destination {self.pk} {self.kind} {self.url}>"

    @property
    def accepts_publishing(self) -> bool:
        """A broken destination holds the site's queue until it is fixed or verified again."""
        return self.status != DestinationHealth.BROKEN


def new_remote_key() -> str:
    return uuid.uuid4().hex[:16]


class Publication(SiteOwned):
    """One article's publishing state: the key it is found by remotely, and the worker's claim.

    `remote_key` goes into the remote post and media (see docs/PUBLISHING.md) so a publish that
    landed but was never recorded here is found again instead of repeated. `claim_token` fences
    workers: it changes at every claim and every write of a publish checks it.
    """

    content = models.OneToOneField(Content, on_delete=models.CASCADE, related_name="publication")
    remote_key = models.CharField(max_length=32, unique=True, default=new_remote_key)
    destination = models.ForeignKey(Destination, on_delete=models.SET_NULL, null=True, blank=True)
    claim_token = models.PositiveIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Successful publishes so far: a webhook's Idempotency-Key is the same for every retry of one
    # publish and new for the next publish of the edited article.
    publish_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"publication of {self.content_id}"


class PublishedImage(models.Model):
    """An image already in a destination's media library (so it is uploaded once)."""

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=64)
    external_url = models.URLField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "image"], name="publishing_image_once_per_destination"
            )
        ]

    def __str__(self):
        return f"image {self.image_id} as {self.external_id}"
