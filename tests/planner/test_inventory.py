"""The site inventory's services: sitemap import and refresh, CSV import, generated articles, release."""

import datetime

import pytest
from django.utils import timezone

from devtools.site_pages import SitemapServer
from igny8.outbound import UrlNotAllowed
from planner import inventory
from planner.models import ContentIdea, IdeaStatus, PageSource, SiteKnowledge, SitePage
from tests.factories import make_cluster, make_content, make_idea

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def site_server():
    with SitemapServer() as server:
        yield server


def test_refresh_reads_titles_statuses_and_removes_only_vanished_sitemap_pages(tenant, site_server):
    site = tenant.site
    inventory.inventory_import_sitemap(
        site=site, sitemap_url=site_server.sitemap_url, include_patterns=["/travel/*"], exclude_patterns=[]
    )
    assert SitePage.objects.filter(site=site, source=PageSource.SITEMAP).count() == 50
    inventory.inventory_import_csv(site=site, data=b"url,title,summary\nhttps://shop.test/a,A shop page,\n")
    make_content(site=site, title="Our own article")
    inventory.knowledge_update(site=site, fields={"include_patterns": ["/travel/*guide*"]})
    result = inventory.inventory_refresh(site=site)
    assert (result["removed"], result["error"]) == (40, "")
    travel = {
        site_server.page_url(page): page
        for page in site_server.dataset.pages
        if page.topic == "travel" and "guide" in page.path
    }
    pages = SitePage.objects.filter(site=site, source=PageSource.SITEMAP)
    assert {page.url for page in pages} == set(travel)
    assert all(
        (page.title, page.summary, page.http_status)
        == (travel[page.url].title, travel[page.url].summary, 200)
        for page in pages
        if travel[page.url].status == 200
    )
    assert set(
        SitePage.objects.filter(site=site).exclude(source=PageSource.SITEMAP).values_list("source", flat=True)
    ) == {PageSource.CSV, PageSource.GENERATED}
    assert SiteKnowledge.objects.get(site=site).refreshed_at is not None


def test_dead_pages_keep_their_status(tenant, site_server):
    gone = next(page for page in site_server.dataset.pages if page.status == 404)
    inventory.knowledge_update(
        site=tenant.site, fields={"sitemap_url": site_server.sitemap_url, "include_patterns": [gone.path]}
    )
    inventory.inventory_refresh(site=tenant.site)
    page = SitePage.objects.get(site=tenant.site)
    assert (page.url, page.http_status) == (site_server.page_url(gone), 404)
    assert page.checked_at is not None and page.title  # a title from the URL, to embed and show


def test_a_refused_address_imports_nothing(tenant, site_server, settings):
    settings.ALLOW_PRIVATE_URLS = False
    with pytest.raises(UrlNotAllowed):
        inventory.inventory_import_sitemap(
            site=tenant.site, sitemap_url=site_server.sitemap_url, include_patterns=[], exclude_patterns=[]
        )
    assert not SitePage.objects.filter(site=tenant.site).exists()
    assert not SiteKnowledge.objects.filter(site=tenant.site).exclude(sitemap_url="").exists()


def test_a_failed_refresh_keeps_the_pages_and_records_the_error(tenant):
    inventory.inventory_import_csv(site=tenant.site, data=b"url\nhttps://a.test/x\n")
    inventory.knowledge_update(site=tenant.site, fields={"sitemap_url": "http://127.0.0.1:9/sitemap.xml"})
    result = inventory.inventory_refresh(site=tenant.site)
    assert result["error"].startswith("url_unreachable:")
    assert SiteKnowledge.objects.get(site=tenant.site).refresh_error == result["error"]
    assert SitePage.objects.filter(site=tenant.site).count() == 1


def test_due_sites_are_claimed_once(tenant, other_tenant):
    for site in (tenant.site, other_tenant.site):
        inventory.knowledge_update(
            site=site, fields={"sitemap_url": "https://a.test/sitemap.xml", "refresh_hours": 2}
        )
    recently = timezone.now() - datetime.timedelta(hours=1)
    SiteKnowledge.objects.filter(site=other_tenant.site).update(refreshed_at=recently)
    assert inventory.sites_due_for_refresh() == [tenant.site.pk]
    assert inventory.inventory_claim_refresh(site_id=tenant.site.pk)
    assert not inventory.inventory_claim_refresh(site_id=tenant.site.pk)
    assert inventory.sites_due_for_refresh() == []


def test_csv_import_upserts_by_url_and_reports_bad_lines(tenant):
    first = inventory.inventory_import_csv(
        site=tenant.site, data=b"URL,Title,Summary\nhttps://a.test/x,X,About x\nftp://a.test/y,Y,\n"
    )
    again = inventory.inventory_import_csv(site=tenant.site, data=b"url,title\nhttps://a.test/x,New X\n")
    assert (first["created"], first["skipped"], first["errors"][0]["line"]) == (1, 1, 3)
    assert (again["created"], again["updated"]) == (0, 1)
    page = SitePage.objects.get(site=tenant.site)
    assert (page.title, page.summary, page.source) == ("New X", "About x", PageSource.CSV)


def test_a_generated_article_enters_the_inventory_and_takes_its_published_url(tenant):
    content = make_content(site=tenant.site, title="Composting in small flats")
    page = SitePage.objects.get(site=tenant.site, content_id=content.pk)
    assert (page.source, page.url, page.title) == (PageSource.GENERATED, "", "Composting in small flats")
    inventory.generated_page_publish(content_id=content.pk, url="https://blog.test/composting")
    page.refresh_from_db()
    assert (page.url, page.http_status) == ("https://blog.test/composting", 200)


def test_release_moves_held_back_ideas_to_new_and_refuses_others(tenant, other_tenant):
    cluster = make_cluster(site=tenant.site, name="Coffee")
    held, fresh = make_idea(cluster=cluster, title="A"), make_idea(cluster=cluster, title="B")
    ContentIdea.objects.filter(pk=held.pk).update(
        status=IdeaStatus.DUPLICATE, duplicate_of_url="https://a.test/x", duplicate_score=0.9
    )
    with pytest.raises(Exception) as refused:
        inventory.ideas_release(site=tenant.site, ids=[held.pk, fresh.pk])
    assert refused.value.code == "invalid_ids"
    assert inventory.ideas_release(site=tenant.site, ids=[held.pk]) == 1
    held.refresh_from_db()
    assert (held.status, held.duplicate_of_url) == (IdeaStatus.NEW, "https://a.test/x")
