"""Reads of the planner that other apps build on: what each pipeline step may work on next."""

from django.db.models import QuerySet

from planner.models import Cluster, ClusterStatus, ContentIdea, IdeaStatus, Keyword, KeywordStatus
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
