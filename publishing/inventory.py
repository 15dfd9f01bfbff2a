"""The site inventory from the publishing destination: the posts and pages a WordPress publishes.

A destination's pages are imported on demand first; from then on the beat imports them again every
`refresh_hours` of the site, as the sitemap refresh does (the first import is the site's consent).
"""

import datetime
import html
import logging

from django.utils import timezone
from django.utils.html import strip_tags

from igny8.errors import ValidationFailed
from igny8.outbound import OutboundClient
from planner.inventory import destination_pages_save
from planner.models import SiteKnowledge
from publishing.destinations import wordpress_client
from publishing.errors import NoDestination
from publishing.models import Destination, DestinationHealth, DestinationKind
from publishing.remote import RemoteError
from tenancy.models import Site

logger = logging.getLogger(__name__)

PER_PAGE = 100
MAX_LISTING_PAGES = 50  # 5,000 posts and as many pages


def plain(rendered: str) -> str:
    return " ".join(html.unescape(strip_tags(rendered or "")).split())


def destination_pages_import(*, site: Site, now: datetime.datetime | None = None) -> dict:
    """Import the published posts and pages of the site's WordPress (`{created, updated, removed}`).

    Reads every listing first, then upserts in one transaction (planner.inventory), so a failure
    part-way changes nothing. Raises NoDestination, ValidationFailed (`unsupported_destination`,
    `destination_unreachable` with WordPress's message).
    """
    destination = Destination.objects.filter(site=site).first()
    if destination is None:
        raise NoDestination()
    if destination.kind != DestinationKind.WORDPRESS:
        raise ValidationFailed(
            "Only a WordPress destination lists its pages.", code="unsupported_destination"
        )
    pages = []
    with OutboundClient(same_host_redirects=True) as http:
        client = wordpress_client(destination, http)
        for route in ("/wp/v2/posts", "/wp/v2/pages"):
            pages.extend(_listing(client, route))
    saved = destination_pages_save(site=site, pages=pages)
    Destination.objects.filter(pk=destination.pk).update(
        pages_imported_at=now or timezone.now(), pages_import_error=""
    )
    return {"created": saved.created, "updated": saved.updated, "removed": saved.removed}


def destination_pages_import_due(*, now: datetime.datetime | None = None) -> dict:
    """Import again the pages of every WordPress destination imported before, whose last import is
    older than its site's `refresh_hours` and which is not broken: `{imported, failed}`.

    Each is claimed with one conditional update (two beats never import the same one); a failure
    keeps the pages as they were and is recorded in `pages_import_error`, and the next try waits
    for the next period, as after a success.
    """
    now = now or timezone.now()
    imported = failed = 0
    for destination in _destinations_due(now=now):
        claimed = Destination.objects.filter(
            pk=destination.pk, pages_imported_at=destination.pages_imported_at
        ).update(pages_imported_at=now)
        if not claimed:
            continue
        try:
            destination_pages_import(site=destination.site, now=now)
            imported += 1
        except Exception as error:  # noqa: BLE001 - one site's remote end must not stop the others
            message = f"{getattr(error, 'code', 'failed')}: {getattr(error, 'message', error)}"
            Destination.objects.filter(pk=destination.pk).update(pages_import_error=message[:2000])
            logger.warning("site %s: destination pages import failed: %s", destination.site_id, message)
            failed += 1
    return {"imported": imported, "failed": failed}


def _destinations_due(*, now: datetime.datetime) -> list[Destination]:
    destinations = list(
        Destination.objects.filter(kind=DestinationKind.WORDPRESS, pages_imported_at__isnull=False)
        .exclude(status=DestinationHealth.BROKEN)
        .select_related("site")
    )
    hours = dict(
        SiteKnowledge.objects.filter(site_id__in=[d.site_id for d in destinations]).values_list(
            "site_id", "refresh_hours"
        )
    )
    default = SiteKnowledge._meta.get_field("refresh_hours").default
    return [
        destination
        for destination in destinations
        if destination.pages_imported_at
        <= now - datetime.timedelta(hours=hours.get(destination.site_id, default))
    ]


def _listing(client, route: str) -> list[tuple[str, str, str]]:
    found = []
    for number in range(1, MAX_LISTING_PAGES + 1):
        params = {"per_page": PER_PAGE, "page": number, "status": "publish", "_fields": "link,title,excerpt"}
        try:
            batch = client.call("GET", route, params=params)
        except RemoteError as error:
            if error.code == "rest_post_invalid_page_number":
                break
            raise ValidationFailed(error.message, code="destination_unreachable") from None
        if not isinstance(batch, list):
            raise ValidationFailed(
                f"WordPress answered {route} with no list.", code="destination_unreachable"
            )
        for item in batch:
            title = plain((item.get("title") or {}).get("rendered", ""))
            found.append(
                (item.get("link") or "", title, plain((item.get("excerpt") or {}).get("rendered", "")))
            )
        if len(batch) < PER_PAGE:
            break
    return found
