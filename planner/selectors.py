"""Reads of the planner that other apps build on: what each pipeline step may work on next."""

from collections.abc import Iterable

from django.db.models import QuerySet

from planner.models import (
    BrandVoice,
    Cluster,
    ClusterStatus,
    ContentIdea,
    IdeaStatus,
    Keyword,
    KeywordStatus,
    SiteKnowledge,
    SitePage,
)
from tenancy.models import Site


def keywords_ready_to_cluster(*, site: Site) -> QuerySet[Keyword]:
    return Keyword.objects.filter(site=site, status=KeywordStatus.NEW, cluster__isnull=True)


def clusters_ready_for_ideas(*, site: Site) -> QuerySet[Cluster]:
    return Cluster.objects.filter(site=site, status=ClusterStatus.NEW)


def ideas_ready_for_tasks(*, site: Site) -> QuerySet[ContentIdea]:
    return ContentIdea.objects.filter(site=site, status=IdeaStatus.NEW)


def cluster_names(*, site: Site, limit: int = 200) -> list[str]:
    return list(Cluster.objects.filter(site=site).order_by("pk").values_list("name", flat=True)[:limit])


def cluster_keyword_texts(*, cluster: Cluster, limit: int | None = None) -> list[str]:
    """The cluster's keywords, highest volume first."""
    texts = cluster.keywords.order_by("-volume", "pk").values_list("keyword", flat=True)
    return list(texts[:limit] if limit else texts)


# A site's knowledge settings and voice are read once per Site object and kept on it (the reverse
# one-to-one cache, "none" included): a run's stage reads its site afresh with both joined
# (`site_with_settings`), so its batches share one read and a change applies from the next stage.


def site_with_settings(*, site_id: int) -> Site:
    """The site with its account, knowledge settings and voice, in one query."""
    return Site.objects.select_related("account", "knowledge", "voice").get(pk=site_id)


def site_knowledge(*, site: Site) -> SiteKnowledge | None:
    """The site's knowledge settings, or None when it has none (their defaults apply)."""
    try:
        return site.knowledge
    except SiteKnowledge.DoesNotExist:
        return None


def site_voice(*, site: Site) -> BrandVoice | None:
    try:
        return site.voice
    except BrandVoice.DoesNotExist:
        return None


def site_setting(*, site: Site, name: str):
    """A knowledge setting of the site (`links_per_article`, `quality_threshold`, ...), or its default."""
    knowledge = site_knowledge(site=site)
    return SiteKnowledge._meta.get_field(name).default if knowledge is None else getattr(knowledge, name)


def inventory_urls_among(*, site: Site, urls: Iterable[str], content_id: int | None = None) -> set[str]:
    """Which of `urls` are pages of the site's inventory, leaving out the page of article `content_id`."""
    pages = SitePage.objects.filter(site=site, url__in=sorted(set(urls) - {""}))
    if content_id is not None:
        pages = pages.exclude(content_id=content_id)
    return set(pages.values_list("url", flat=True))
