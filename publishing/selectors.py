"""Reads of the publishing app that the beat, the services and the API share."""

import datetime

from django.db.models import Q, QuerySet

from automation.models import AutomationConfig
from publishing.models import Destination, DestinationHealth
from tenancy.models import Site
from writer.models import Content, ContentStatus, SiteStatus


def destination_for_site(*, site: Site) -> Destination | None:
    return Destination.objects.filter(site=site).first()


def destination_health_by_site(*, account) -> dict[int, str]:
    """Each site's destination status (`unverified`, `ok`, `broken`); sites without one are absent."""
    return dict(Destination.objects.filter(account=account).values_list("site_id", "status"))


def publishing_config(*, site: Site) -> AutomationConfig:
    """The site's automation config, or an unsaved one with the defaults (never written here)."""
    return AutomationConfig.objects.filter(site=site).first() or AutomationConfig(
        site=site, account_id=site.account_id
    )


def taken_times(*, site: Site, since: datetime.datetime) -> list[datetime.datetime]:
    """The publish times the site's limits and slots count: scheduled, in flight or published."""
    return sorted(
        Content.objects.filter(
            site=site,
            site_status__in=[SiteStatus.SCHEDULED, SiteStatus.PUBLISHING, SiteStatus.PUBLISHED],
            scheduled_publish_at__gte=since,
        ).values_list("scheduled_publish_at", flat=True)
    )


def contents_due(*, now: datetime.datetime, limit: int = 500) -> QuerySet[Content]:
    """Articles to publish now: scheduled and due (and past their retry back-off), or left
    `publishing` by a worker whose claim expired; only on destinations that are not broken."""
    healthy_sites = Destination.objects.exclude(status=DestinationHealth.BROKEN).values("site_id")
    scheduled = Q(site_status=SiteStatus.SCHEDULED, scheduled_publish_at__lte=now) & (
        Q(publication__isnull=True)
        | Q(publication__next_attempt_at__isnull=True)
        | Q(publication__next_attempt_at__lte=now)
    )
    abandoned = Q(site_status=SiteStatus.PUBLISHING, publication__claimed_until__lt=now)
    return (
        Content.objects.filter(site_id__in=healthy_sites)
        .filter(scheduled | abandoned)
        .order_by("scheduled_publish_at", "pk")[:limit]
    )


def contents_awaiting_auto_approval() -> QuerySet[Content]:
    """Articles in the review gate of sites that approve automatically and have a destination."""
    sites = AutomationConfig.objects.filter(auto_approve=True).values("site_id")
    with_destination = Destination.objects.values("site_id")
    return Content.objects.filter(
        status=ContentStatus.REVIEW, site_status=SiteStatus.NOT_PUBLISHED, site_id__in=sites
    ).filter(site_id__in=with_destination)
