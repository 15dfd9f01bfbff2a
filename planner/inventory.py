"""The site inventory: the client's pages from its sitemap or a CSV, and the articles generated for it.

Sitemap pages are upserted by (site, url) and removed when they vanish from the sitemap; CSV and
generated pages are never removed by a refresh. A page whose title or summary changes loses its
vector (ai.site_pages embeds it again when next needed). Page reading: when INVENTORY_READ_PAGES is
on, a refresh GETs each sitemap page once (politely, see planner.sitemaps) for its <title>, meta
description and HTTP status; a page that cannot be read keeps a title made from its URL.
"""

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from igny8.capabilities import capabilities
from igny8.celery import app
from igny8.errors import ServiceUnavailable, ValidationFailed
from planner.models import ContentIdea, IdeaStatus, PageSource, SiteKnowledge, SitePage
from planner.services import csv_size_check
from planner.sitemaps import PoliteFetcher, SitemapEntry, title_from_url
from planner.task_names import REFRESH_INVENTORY_TASK
from tenancy.models import Site

logger = logging.getLogger(__name__)
KNOWLEDGE_FIELDS = (
    "sitemap_url",
    "include_patterns",
    "exclude_patterns",
    "refresh_hours",
    "links_per_article",
    "duplicate_threshold",
    "quality_threshold",
)


def knowledge_for_site(*, site: Site) -> SiteKnowledge:
    """The site's settings, created with the defaults on first use."""
    knowledge, _ = SiteKnowledge.objects.get_or_create(site=site, defaults={"account_id": site.account_id})
    return knowledge


def knowledge_update(*, site: Site, fields: dict) -> SiteKnowledge:
    knowledge = knowledge_for_site(site=site)
    for name, value in fields.items():
        if name in KNOWLEDGE_FIELDS:
            setattr(knowledge, name, value)
    knowledge.save()
    return knowledge


@dataclass
class Upserted:
    created: int = 0
    updated: int = 0
    removed: int = 0


def _lastmod(text: str) -> datetime | None:
    try:
        moment = parse_datetime(text) if "T" in text else None
        day = parse_date(text[:10]) if moment is None and len(text) >= 10 else None
    except ValueError:  # a well-formed but impossible date
        return None
    if day is not None:
        moment = datetime(day.year, day.month, day.day)
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt_timezone.utc)
    return moment


def sitemap_pages_save(*, site: Site, entries: list[SitemapEntry]) -> Upserted:
    """Upsert the sitemap's pages and remove the sitemap pages it no longer lists: one transaction."""
    urls = [entry.url for entry in entries]
    with transaction.atomic():
        existing = {page.url: page for page in SitePage.objects.filter(site=site, url__in=urls)}
        new, changed = [], []
        for entry in entries:
            lastmod = _lastmod(entry.lastmod)
            page = existing.get(entry.url)
            if page is None:
                new.append(
                    SitePage(
                        account_id=site.account_id,
                        site=site,
                        url=entry.url,
                        lastmod=lastmod,
                        title=title_from_url(entry.url),
                        source=PageSource.SITEMAP,
                    )
                )
            elif page.lastmod != lastmod:
                page.lastmod = lastmod
                changed.append(page)
        SitePage.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        SitePage.objects.bulk_update(changed, ["lastmod"], batch_size=500)
        removed, _ = (
            SitePage.objects.filter(site=site, source=PageSource.SITEMAP).exclude(url__in=urls).delete()
        )
    return Upserted(created=len(new), updated=len(changed), removed=removed)


def page_details_save(*, page: SitePage, title: str, summary: str, status: int | None) -> None:
    """Record what reading the page found; a changed text drops the page's vector."""
    title = title or page.title or title_from_url(page.url)
    fields = {"http_status": status, "checked_at": timezone.now()}
    if (title, summary) != (page.title, page.summary):
        fields.update(title=title[:300], summary=summary, embedding=None, embedding_model="")
    SitePage.objects.filter(pk=page.pk).update(**fields)


def inventory_import_sitemap(
    *, site: Site, sitemap_url: str, include_patterns: list[str], exclude_patterns: list[str]
) -> dict:
    """Save the sitemap settings and import its pages now (titles from URLs until a refresh reads them).

    The settings and the pages commit only when the sitemap could be read: a bad URL, a refused
    address or an invalid sitemap raises (UrlNotAllowed, OutboundFailed, SitemapInvalid) and changes
    nothing. `refreshed_at` is cleared so the next scheduled pass reads the pages.
    """
    with PoliteFetcher() as fetcher:
        entries = fetcher.sitemap_entries(sitemap_url, include=include_patterns, exclude=exclude_patterns)
    with transaction.atomic():
        knowledge_update(
            site=site,
            fields={
                "sitemap_url": sitemap_url,
                "include_patterns": include_patterns,
                "exclude_patterns": exclude_patterns,
            },
        )
        SiteKnowledge.objects.filter(site=site).update(refreshed_at=None, refresh_error="")
        saved = sitemap_pages_save(site=site, entries=entries)
    return {
        "created": saved.created,
        "updated": saved.updated,
        "removed": saved.removed,
        "pages": len(entries),
    }


def inventory_refresh(*, site: Site) -> dict:
    """Read the site's sitemap again, upsert and remove its pages, then read each page (see module).

    Each step commits on its own; a sitemap that cannot be read leaves the pages as they were and
    records the error in `refresh_error`. `refreshed_at` is set either way.
    """
    knowledge = knowledge_for_site(site=site)
    result = {"created": 0, "updated": 0, "removed": 0, "read": 0, "error": ""}
    if not knowledge.sitemap_url:
        result["error"] = "The site has no sitemap URL."
    else:
        try:
            with PoliteFetcher() as fetcher:
                entries = fetcher.sitemap_entries(
                    knowledge.sitemap_url,
                    include=knowledge.include_patterns,
                    exclude=knowledge.exclude_patterns,
                )
                saved = sitemap_pages_save(site=site, entries=entries)
                result.update(created=saved.created, updated=saved.updated, removed=saved.removed)
                if settings.INVENTORY_READ_PAGES:
                    result["read"] = _read_pages(site=site, fetcher=fetcher)
        except ValidationFailed as error:
            result["error"] = f"{error.code}: {error.message}"
        except Exception as error:  # noqa: BLE001 - the outbound errors and anything the remote end causes
            result["error"] = f"{getattr(error, 'code', 'failed')}: {getattr(error, 'message', error)}"
    SiteKnowledge.objects.filter(pk=knowledge.pk).update(
        refreshed_at=timezone.now(), refresh_error=result["error"]
    )
    if result["error"]:
        logger.warning("site %s: inventory refresh failed: %s", site.pk, result["error"])
    return result


def _read_pages(*, site: Site, fetcher: PoliteFetcher) -> int:
    pages = SitePage.objects.filter(site=site, source=PageSource.SITEMAP).order_by("pk")
    for page in pages.iterator():
        head = fetcher.page_head(page.url)
        page_details_save(page=page, title=head.title, summary=head.description, status=head.status)
    return pages.count()


def inventory_refresh_enqueue(*, site: Site) -> str:
    """Queue a refresh of the site's inventory; returns the task id. ServiceUnavailable: broker down."""
    try:
        if capabilities().tasks_in_process:
            app.loader.import_default_modules()
            return app.tasks[REFRESH_INVENTORY_TASK].apply_async(args=[site.pk]).id
        return app.send_task(REFRESH_INVENTORY_TASK, args=[site.pk]).id
    except (BrokerError, RedisError, OSError) as error:
        logger.warning("could not enqueue an inventory refresh: %s", error)
        raise ServiceUnavailable("The task queue is unavailable; nothing was started.") from None


def sites_due_for_refresh(*, now: datetime | None = None) -> list[int]:
    """Ids of sites with a sitemap whose inventory is older than their `refresh_hours`."""
    now = now or timezone.now()
    due = []
    for site_id, hours, refreshed_at in SiteKnowledge.objects.exclude(sitemap_url="").values_list(
        "site_id", "refresh_hours", "refreshed_at"
    ):
        if refreshed_at is None or refreshed_at <= now - timedelta(hours=hours):
            due.append(site_id)
    return due


def inventory_claim_refresh(*, site_id: int, now: datetime | None = None) -> bool:
    """Take the site's due refresh (one conditional update): two beats cannot both refresh it."""
    now = now or timezone.now()
    knowledge = SiteKnowledge.objects.filter(site_id=site_id).first()
    if knowledge is None:
        return False
    due = Q(refreshed_at__isnull=True) | Q(refreshed_at__lte=now - timedelta(hours=knowledge.refresh_hours))
    claimed = SiteKnowledge.objects.filter(Q(pk=knowledge.pk) & due).update(refreshed_at=now)
    return bool(claimed)


def inventory_import_csv(*, site: Site, data: bytes) -> dict:
    """Upsert pages from a CSV with a `url` column (title and summary optional): `{created, updated, errors}`.

    Rows without an http(s) URL are reported by line; the accepted rows commit together. A row whose
    URL is already a sitemap page updates its title and summary and leaves its source.
    """
    csv_size_check(size=len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            f"The file is not UTF-8 text (invalid byte at position {error.start}).", code="invalid_encoding"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    if "url" not in columns:
        raise ValidationFailed(
            "The first line must be a header naming the columns: url,title,summary.", code="missing_header"
        )
    reader.fieldnames = columns
    rows, errors = {}, []
    try:
        for row in reader:
            url = (row.get("url") or "").strip()
            if not url.startswith(("http://", "https://")) or len(url) > 1000:
                errors.append({"line": reader.line_num, "error": f"not an http(s) URL: '{url[:100]}'"})
                continue
            rows[url] = ((row.get("title") or "").strip()[:300], (row.get("summary") or "").strip())
    except csv.Error as error:
        errors.append({"line": reader.line_num, "error": f"not valid CSV: {error}"})
    created, updated = _csv_pages_save(site=site, rows=rows)
    return {"created": created, "updated": updated, "skipped": len(errors), "errors": errors}


@transaction.atomic
def _csv_pages_save(*, site: Site, rows: dict[str, tuple[str, str]]) -> tuple[int, int]:
    return _pages_upsert(site=site, rows=rows, source=PageSource.CSV, live=False)


def _pages_upsert(
    *, site: Site, rows: dict[str, tuple[str, str]], source: str, live: bool
) -> tuple[int, int]:
    """Create the missing pages as `source` and give the others the rows' title and summary (an empty
    summary keeps theirs); `live`: the source vouches that the pages answer 200 now. (created, updated)"""
    existing = {page.url: page for page in SitePage.objects.filter(site=site, url__in=list(rows))}
    new, now = [], timezone.now()
    for url, (title, summary) in rows.items():
        page = existing.get(url)
        if page is not None:
            status = 200 if live else page.http_status
            page_details_save(page=page, title=title, summary=summary or page.summary, status=status)
            continue
        new.append(
            SitePage(
                account_id=site.account_id,
                site=site,
                url=url,
                source=source,
                title=title or title_from_url(url),
                summary=summary,
                http_status=200 if live else None,
                checked_at=now if live else None,
            )
        )
    SitePage.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    return len(new), len(existing)


@transaction.atomic
def destination_pages_save(*, site: Site, pages: list[tuple[str, str, str]]) -> Upserted:
    """Upsert the (url, title, summary) the destination lists and remove the destination pages it no
    longer lists; a URL already imported from elsewhere gets the destination's title and summary."""
    rows = {url[:1000]: (title[:300], summary) for url, title, summary in pages if url}
    created, updated = _pages_upsert(site=site, rows=rows, source=PageSource.DESTINATION, live=True)
    gone = SitePage.objects.filter(site=site, source=PageSource.DESTINATION).exclude(url__in=list(rows))
    removed, _ = gone.delete()
    return Upserted(created=created, updated=updated, removed=removed)


def generated_page_create(
    *, account_id: int, site_id: int, content_id: int, title: str, summary: str
) -> SitePage:
    """The inventory entry of a new generated article (no URL until it is published); call it in
    the transaction that creates the article."""
    return SitePage.objects.create(
        account_id=account_id,
        site_id=site_id,
        content_id=content_id,
        source=PageSource.GENERATED,
        title=title[:300],
        summary=summary,
    )


@transaction.atomic
def generated_page_publish(*, content_id: int, url: str) -> int:
    """The generated article is live at `url`: its inventory entry takes that URL (and a 200).

    A sitemap or CSV entry already holding that URL is the same article: it is replaced.
    """
    page = SitePage.objects.filter(content_id=content_id, source=PageSource.GENERATED).first()
    if page is None or not url:
        return 0
    SitePage.objects.filter(site_id=page.site_id, url=url[:1000]).exclude(pk=page.pk).delete()
    return SitePage.objects.filter(pk=page.pk).update(
        url=url[:1000], http_status=200, checked_at=timezone.now()
    )


def ideas_release(*, site: Site, ids: Iterable[int]) -> int:
    """Move held-back ideas of the site back to `new` (their `duplicate_of_url` stays on record)."""
    ids = list(ids)
    eligible = ContentIdea.objects.filter(site=site, pk__in=ids, status=IdeaStatus.DUPLICATE)
    found = set(eligible.values_list("pk", flat=True))
    refused = sorted(set(ids) - found)
    if refused:
        raise ValidationFailed(
            f"ids {refused} are not held-back ideas of this site.",
            code="invalid_ids",
            errors={"ids": [f"Not held back: {refused}"]},
        )
    return eligible.update(status=IdeaStatus.NEW)
