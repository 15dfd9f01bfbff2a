"""The labelled site of devtools/site_pages.py: the same on every run, served as sitemaps and pages."""

import gzip
from collections import Counter

import httpx

from devtools.site_pages import TOPICS, SitemapServer, SitePagesDataset


def test_dataset_is_deterministic_labelled_and_large_enough():
    first, second = SitePagesDataset(), SitePagesDataset()
    assert first.pages == second.pages
    assert len(first.pages) >= 300
    assert len(Counter(page.topic for page in first.pages)) >= 6
    assert len({page.path for page in first.pages}) == len(first.pages)
    assert len({page.title for page in first.pages}) == len(first.pages)
    assert 0 < len(first.pages) - len(first.live_pages) < 10
    spare = {subject for topic in TOPICS for subject in topic.spare_subjects}
    assert not spare & {page.subject for page in first.pages}


def test_server_answers_an_index_gzip_children_pages_404s_and_a_cross_host_redirect():
    with SitemapServer() as site, httpx.Client() as client:
        index = client.get(site.sitemap_url).text
        assert "<sitemapindex" in index and ".xml.gz</loc>" in index
        compressed = client.get(site.url + "/sitemaps/coffee-brewing.xml.gz").content
        assert b"<urlset" in gzip.decompress(compressed)
        live = site.dataset.live_pages[0]
        body = client.get(site.page_url(live)).text
        assert f"<title>{live.title.replace(chr(39), '&#x27;')}</title>" in body
        assert '<meta name="description"' in body
        gone = next(page for page in site.dataset.pages if page.status == 404)
        assert client.get(site.page_url(gone)).status_code == 404
        moved = client.get(site.url + "/moved-to-our-shop/")
        assert moved.status_code == 301 and moved.headers["location"].startswith("http://localhost:")
