"""Reads of the writer that other apps build on: what each pipeline step may work on next."""

from django.db.models import Exists, OuterRef, QuerySet

from tenancy.models import Site
from writer.models import Content, ContentStatus, Image, ImageStatus, SiteStatus, Task, TaskStatus


def tasks_ready_for_content(*, site: Site) -> QuerySet[Task]:
    return Task.objects.filter(site=site, status=TaskStatus.QUEUED)


def contents_ready_for_image_prompts(*, site: Site) -> QuerySet[Content]:
    return Content.objects.filter(site=site, status=ContentStatus.DRAFT).exclude(
        Exists(Image.objects.filter(content=OuterRef("pk")))
    )


def images_ready_to_generate(*, site: Site) -> QuerySet[Image]:
    return Image.objects.filter(site=site, status=ImageStatus.PENDING)


def contents_ready_for_review(*, site: Site) -> QuerySet[Content]:
    """Drafts that have images and none of them still waiting to be generated."""
    images = Image.objects.filter(content=OuterRef("pk"))
    return Content.objects.filter(site=site, status=ContentStatus.DRAFT).filter(
        Exists(images), ~Exists(images.filter(status=ImageStatus.PENDING))
    )


def contents_ready_for_links(*, site: Site) -> QuerySet[Content]:
    """Articles whose HTML may still gain links: not published, and not on their way to the site."""
    return Content.objects.filter(
        site=site, site_status__in=[SiteStatus.NOT_PUBLISHED, SiteStatus.FAILED]
    ).exclude(status=ContentStatus.PUBLISHED)
