from django.contrib import admin

from planner.models import Cluster, ContentIdea, Keyword


@admin.register(Keyword)
class KeywordAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "keyword",
        "site",
        "volume",
        "difficulty",
        "intent",
        "cluster",
        "status",
        "disabled",
    ]
    list_filter = ["status", "intent", "disabled"]
    search_fields = ["keyword"]
    raw_id_fields = ["account", "site", "cluster"]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "site", "keywords_count", "volume", "status", "disabled"]
    list_filter = ["status", "disabled"]
    search_fields = ["name"]
    raw_id_fields = ["account", "site"]


@admin.register(ContentIdea)
class ContentIdeaAdmin(admin.ModelAdmin):
    list_display = ["id", "idea_title", "site", "keyword_cluster", "content_structure", "status", "disabled"]
    list_filter = ["status", "content_type", "content_structure", "disabled"]
    search_fields = ["idea_title"]
    raw_id_fields = ["account", "site", "keyword_cluster", "keywords"]
