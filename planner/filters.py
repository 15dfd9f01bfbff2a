import django_filters

from igny8.filters import IdFilter
from planner.models import Cluster, ContentIdea, Keyword, SitePage


class KeywordFilter(django_filters.FilterSet):
    cluster_id = IdFilter(field_name="cluster_id")

    class Meta:
        model = Keyword
        fields = ["status", "intent", "disabled", "cluster_id"]


class ClusterFilter(django_filters.FilterSet):
    class Meta:
        model = Cluster
        fields = ["status", "disabled"]


class ContentIdeaFilter(django_filters.FilterSet):
    cluster_id = IdFilter(field_name="keyword_cluster_id")

    class Meta:
        model = ContentIdea
        fields = ["status", "disabled", "content_type", "content_structure", "cluster_id"]


class SitePageFilter(django_filters.FilterSet):
    class Meta:
        model = SitePage
        fields = ["source", "http_status"]
