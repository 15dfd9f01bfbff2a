"""The site inventory from the publishing destination: the posts and pages a WordPress publishes."""

import html

from django.utils.html import strip_tags

from igny8.errors import ValidationFailed
from igny8.outbound import OutboundClient
from planner.inventory import destination_pages_save
from publishing.destinations import wordpress_client
from publishing.errors import NoDestination
from publishing.models import Destination, DestinationKind
from publishing.remote import RemoteError
from tenancy.models import Site

PER_PAGE = 100
MAX_LISTING_PAGES = 50  # 5,000 posts and as many pages


def plain(rendered: str) -> str:
    return " ".join(html.unescape(strip_tags(rendered or "")).split())


def destination_pages_import(*, site: Site) -> dict:
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
    return {"created": saved.created, "updated": saved.updated, "removed": saved.removed}


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
