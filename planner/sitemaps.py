"""Reading a client site's sitemaps and pages through the outbound-safety client (igny8.outbound).

Sitemap index files are followed one level down (an index inside an index is read too, up to
MAX_DEPTH); `.xml.gz` children and gzip bodies are decompressed within the response-size limit.
Requests to a host go one at a time, `INVENTORY_FETCH_DELAY` seconds apart, across every sitemap
import, refresh and worker (politeness: an agency's sites on one server are read in turn, not at
once; the turn is a cache key that only one holder can add), redirects to another host are
refused, and private or loopback addresses are refused unless ALLOW_PRIVATE_URLS=1.
"""

import fnmatch
import gzip
import io
import time
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit
from xml.etree import ElementTree

from django.conf import settings
from django.core.cache import cache

from igny8.errors import ValidationFailed
from igny8.outbound import OutboundClient, OutboundFailed, ResponseTooLarge, UrlNotAllowed

MAX_DEPTH = 2
MAX_SITEMAPS = 100
NAMESPACE = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class SitemapInvalid(ValidationFailed):
    code = "sitemap_invalid"
    default_message = "The sitemap could not be read."


class SitemapUnreachable(ValidationFailed):
    """The sitemap's server did not answer in time or at all (the user's URL: a 400, like a webhook's)."""

    code = "url_unreachable"
    default_message = "The sitemap's server could not be reached."


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: str = ""


@dataclass(frozen=True)
class PageHead:
    status: int | None
    title: str = ""
    description: str = ""
    error: str = ""


def url_matches(url: str, *, include: list[str], exclude: list[str]) -> bool:
    """Globs match the whole URL, or its path when they start with '/'; no include list takes all."""
    path = "/" + url.split("://", 1)[-1].partition("/")[2]

    def matches(pattern: str) -> bool:
        return fnmatch.fnmatchcase(path if pattern.startswith("/") else url, pattern)

    return (not include or any(map(matches, include))) and not any(map(matches, exclude))


def decompressed(body: bytes, *, limit: int) -> bytes:
    """A gzip body unpacked, refusing more than `limit` bytes (a small file can unpack to gigabytes)."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as unpacked:
            data = unpacked.read(limit + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise SitemapInvalid(f"The gzip sitemap is damaged: {error}.") from None
    if len(data) > limit:
        raise SitemapInvalid(
            f"The gzip sitemap unpacks to more than {limit} bytes.", code="sitemap_too_large"
        )
    return data


def parse_sitemap(body: bytes) -> tuple[list[str], list[SitemapEntry]]:
    """(child sitemap URLs, page entries) of one sitemap or sitemap index document."""
    if b"<!DOCTYPE" in body[:2048].upper() or b"<!ENTITY" in body.upper():
        raise SitemapInvalid("The sitemap declares a DOCTYPE or entities, which are not accepted.")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise SitemapInvalid(f"The sitemap is not valid XML: {error}.") from None
    tag = root.tag.removeprefix(NAMESPACE)
    if tag not in ("sitemapindex", "urlset"):
        raise SitemapInvalid(f"The document is not a sitemap (its root element is <{tag}>).")
    children, entries = [], []
    for item in root:
        location = (item.findtext(f"{NAMESPACE}loc") or item.findtext("loc") or "").strip()
        if not location:
            continue
        if tag == "sitemapindex":
            children.append(location)
        else:
            lastmod = (item.findtext(f"{NAMESPACE}lastmod") or item.findtext("lastmod") or "").strip()
            entries.append(SitemapEntry(url=location, lastmod=lastmod))
    return children, entries


class HeadParser(HTMLParser):
    """The <title> text and the meta description of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title, self.description, self.in_title = "", "", False

    def handle_starttag(self, tag, attrs):
        attributes = {name.lower(): value or "" for name, value in attrs}
        if tag == "title":
            self.in_title = True
        elif tag == "meta" and "description" in (
            attributes.get("name", "").lower(),
            attributes.get("property", "").lower().removeprefix("og:"),
        ):
            self.description = self.description or attributes.get("content", "")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data


def read_head(html: str) -> tuple[str, str]:
    parser = HeadParser()
    parser.feed(html)
    return " ".join(parser.title.split())[:300], " ".join(parser.description.split())[:2000]


HOST_TURN_POLL_SECONDS = 0.05


def host_turn_key(url: str) -> str:
    return f"inventory_host_turn_{(urlsplit(url).hostname or '').lower()}"


class PoliteFetcher:
    """One request at a time to a host, `delay` seconds apart, whoever else is reading it; redirects
    to another host refused."""

    def __init__(self, *, delay: float | None = None):
        self.delay = settings.INVENTORY_FETCH_DELAY if delay is None else delay
        self.client = OutboundClient(same_host_redirects=True)

    def __enter__(self) -> "PoliteFetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()

    def get(self, url: str):
        turn = host_turn_key(url)
        # Held for the request and the delay after it; a holder that died frees it after its time-out.
        while not cache.add(turn, 1, timeout=settings.OUTBOUND_TIMEOUT + self.delay + 1):
            time.sleep(min(HOST_TURN_POLL_SECONDS, self.delay) or HOST_TURN_POLL_SECONDS)
        try:
            return self.client.request("GET", url)
        finally:
            if self.delay > 0:
                cache.set(turn, 1, timeout=self.delay)
            else:
                cache.delete(turn)

    def sitemap_entries(
        self, sitemap_url: str, *, include: list[str], exclude: list[str]
    ) -> list[SitemapEntry]:
        """Every page entry of the sitemap (following indexes) that the patterns admit, first seen first.

        Raises UrlNotAllowed (a refused address or a redirect to another host), SitemapUnreachable,
        or SitemapInvalid (`sitemap_too_large` over the size limit);
        a child that fails fails it all (a partial list would remove the pages it holds).
        """
        try:
            return self._sitemap_entries(sitemap_url, include=include, exclude=exclude)
        except ResponseTooLarge as error:
            raise SitemapInvalid(error.message, code="sitemap_too_large") from None
        except OutboundFailed as error:
            raise SitemapUnreachable(f"{error.message} ({error.code})") from None

    def _sitemap_entries(
        self, sitemap_url: str, *, include: list[str], exclude: list[str]
    ) -> list[SitemapEntry]:
        limit, maximum = settings.OUTBOUND_MAX_RESPONSE_BYTES, settings.INVENTORY_MAX_PAGES
        queue, seen_sitemaps, entries, seen = [(sitemap_url, 0)], set(), [], set()
        while queue:
            url, depth = queue.pop(0)
            if url in seen_sitemaps:
                continue
            seen_sitemaps.add(url)
            if len(seen_sitemaps) > MAX_SITEMAPS:
                raise SitemapInvalid(f"The sitemap index lists more than {MAX_SITEMAPS} sitemaps.")
            response = self.get(url)
            if response.status_code != 200:
                raise SitemapInvalid(
                    f"{url} answered HTTP {response.status_code}.", code="sitemap_unavailable"
                )
            children, found = parse_sitemap(decompressed(response.content, limit=limit))
            if children and depth >= MAX_DEPTH:
                raise SitemapInvalid(f"{url}: sitemap indexes nest deeper than {MAX_DEPTH} levels.")
            queue.extend((child, depth + 1) for child in children)
            for entry in found:
                if entry.url not in seen and url_matches(entry.url, include=include, exclude=exclude):
                    seen.add(entry.url)
                    entries.append(entry)
            if len(entries) > maximum:
                raise SitemapInvalid(f"The sitemap lists more than {maximum} pages.", code="too_many_pages")
        return entries

    def page_head(self, url: str) -> PageHead:
        """The page's status, title and description; failures are recorded, never raised."""
        try:
            response = self.get(url)
        except (UrlNotAllowed, OutboundFailed) as error:
            return PageHead(status=None, error=f"{error.code}: {error.message}")
        if response.status_code != 200:
            return PageHead(status=response.status_code)
        if "html" not in response.headers.get("content-type", "text/html"):
            return PageHead(status=200)
        title, description = read_head(response.content.decode("utf-8", errors="replace"))
        return PageHead(status=200, title=title, description=description)


def title_from_url(url: str) -> str:
    """A readable title from the URL's last path segment, for a page whose own title is unknown."""
    segment = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    words = " ".join(segment.replace("-", " ").replace("_", " ").split())
    return words[:1].upper() + words[1:300]
