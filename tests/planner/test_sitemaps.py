"""Reading a site's sitemaps and pages: indexes, gzip, patterns, limits and the outbound rules."""

import gzip
import threading

import pytest

from devtools.site_pages import REDIRECT_PATH, SitemapServer
from igny8.outbound import CrossHostRedirect, UrlNotAllowed
from planner.sitemaps import PoliteFetcher, SitemapInvalid, decompressed, parse_sitemap, url_matches
from tests.http_servers import Answer, LocalServer


@pytest.fixture(scope="module")
def site_server():
    with SitemapServer() as server:
        yield server


def test_an_index_with_gzip_children_gives_every_listed_page_once(site_server, settings):
    with PoliteFetcher(delay=0) as fetcher:
        entries = fetcher.sitemap_entries(site_server.sitemap_url, include=[], exclude=[])
    urls = [entry.url for entry in entries]
    expected = {site_server.page_url(page) for page in site_server.dataset.pages}
    assert len(urls) == len(set(urls)) == len(expected) + 1
    assert expected <= set(urls) and site_server.url + REDIRECT_PATH in urls
    assert all(entry.lastmod.startswith("2024-") for entry in entries if entry.url in expected)


def test_include_and_exclude_patterns_select_urls(site_server):
    with PoliteFetcher(delay=0) as fetcher:
        entries = fetcher.sitemap_entries(
            site_server.sitemap_url, include=["/coffee-brewing/*"], exclude=["*mistakes-with*"]
        )
    assert len(entries) == 40
    assert all("/coffee-brewing/" in entry.url and "mistakes" not in entry.url for entry in entries)
    assert url_matches("https://a.test/blog/x", include=["https://a.test/blog/*"], exclude=[])
    assert not url_matches("https://a.test/tag/x", include=["/blog/*"], exclude=[])


def test_requests_go_one_at_a_time_with_the_delay(site_server):
    site_server.requests.clear()
    with PoliteFetcher(delay=0.02) as fetcher:
        fetcher.sitemap_entries(site_server.sitemap_url, include=[], exclude=[])
    times = [moment for _, moment in site_server.requests]
    assert len(times) == 8 and site_server.max_in_flight == 1
    assert min(later - earlier for earlier, later in zip(times, times[1:], strict=False)) >= 0.018


def test_two_readers_of_one_host_take_turns_with_the_delay_between_all_their_requests(site_server):
    """Two sites on one server refreshed at once (two workers): the host still sees one reader."""
    site_server.requests.clear()
    site_server.max_in_flight, site_server.response_delay = 0, 0.01  # overlaps would show

    def read() -> None:
        with PoliteFetcher(delay=0.02) as fetcher:
            fetcher.sitemap_entries(site_server.sitemap_url, include=[], exclude=[])

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    site_server.response_delay = 0.0
    times = sorted(moment for _, moment in site_server.requests)
    assert len(times) == 16 and site_server.max_in_flight == 1
    assert min(later - earlier for earlier, later in zip(times, times[1:], strict=False)) >= 0.018


def test_a_sitemap_over_the_size_limit_is_refused(site_server, settings):
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 2000
    with PoliteFetcher(delay=0) as fetcher, pytest.raises(SitemapInvalid) as refused:
        fetcher.sitemap_entries(site_server.url + "/sitemaps/home-fitness.xml", include=[], exclude=[])
    assert (refused.value.status_code, refused.value.code) == (400, "sitemap_too_large")
    bomb = gzip.compress(b"<urlset>" + b" " * 10_000 + b"</urlset>")
    with pytest.raises(SitemapInvalid) as unpacked:
        decompressed(bomb, limit=2000)
    assert unpacked.value.code == "sitemap_too_large"


def test_a_redirect_to_another_host_is_not_followed(site_server):
    with PoliteFetcher(delay=0) as fetcher:
        head = fetcher.page_head(site_server.url + REDIRECT_PATH)
        assert head.status is None and head.error.startswith("cross_host_redirect")
        with pytest.raises(CrossHostRedirect):
            fetcher.sitemap_entries(site_server.url + REDIRECT_PATH, include=[], exclude=[])
    assert not any(path == "/shop/" for path, _ in site_server.requests)


def test_a_same_host_redirect_is_followed():
    sitemap = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.test/x</loc></url></urlset>'

    def answer(method, path, headers, body):
        if path == "/old.xml":
            return Answer(status=301, body=b"", headers={"Location": "/new.xml"})
        return Answer(body=sitemap, headers={"Content-Type": "application/xml"})

    with LocalServer(answer) as server, PoliteFetcher(delay=0) as fetcher:
        entries = fetcher.sitemap_entries(server.url + "/old.xml", include=[], exclude=[])
    assert [entry.url for entry in entries] == ["https://a.test/x"]


def test_loopback_is_refused_without_allow_private_urls(site_server, settings):
    settings.ALLOW_PRIVATE_URLS = False
    before = len(site_server.requests)
    with PoliteFetcher(delay=0) as fetcher, pytest.raises(UrlNotAllowed):
        fetcher.sitemap_entries(site_server.sitemap_url, include=[], exclude=[])
    assert len(site_server.requests) == before


def test_pages_are_read_for_title_description_and_status(site_server):
    live = site_server.dataset.live_pages[3]
    gone = next(page for page in site_server.dataset.pages if page.status == 404)
    with PoliteFetcher(delay=0) as fetcher:
        head = fetcher.page_head(site_server.page_url(live))
        missing = fetcher.page_head(site_server.page_url(gone))
    assert (head.status, head.title, head.description) == (200, live.title, live.summary)
    assert missing.status == 404 and missing.title == ""


def test_documents_that_are_not_sitemaps_are_refused():
    with pytest.raises(SitemapInvalid):
        parse_sitemap(b"<html><body>hello</body></html>")
    with pytest.raises(SitemapInvalid):
        parse_sitemap(b'<!DOCTYPE x [<!ENTITY a "b">]><urlset>&a;</urlset>')
    with pytest.raises(SitemapInvalid):
        parse_sitemap(b"<urlset><url><loc>")
