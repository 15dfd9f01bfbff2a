from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from igny8.filters import MAX_ID
from planner.models import Cluster, ContentIdea, Intent, Keyword, SiteKnowledge, SitePage


class KeywordSerializer(serializers.ModelSerializer):
    class Meta:
        model = Keyword
        fields = [
            "id",
            "site",
            "keyword",
            "volume",
            "difficulty",
            "intent",
            "cluster",
            "status",
            "disabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "site", "cluster", "status", "created_at", "updated_at"]


# What keyword_row_parse accepts (Keyword.volume is a PostgreSQL integer).
MAX_VOLUME = 2_000_000_000


class KeywordInputSerializer(serializers.Serializer):
    keyword = serializers.CharField(max_length=255)
    volume = serializers.IntegerField(min_value=0, max_value=MAX_VOLUME, required=False, default=0)
    difficulty = serializers.IntegerField(min_value=0, max_value=100, required=False, default=0)
    intent = serializers.ChoiceField(choices=Intent.choices, required=False, default=Intent.INFORMATIONAL)


class KeywordUpdateSerializer(serializers.ModelSerializer):
    # A model serializer, so each integer is bounded by its column's range (an out-of-range
    # volume is a 400, not a database error).
    class Meta:
        model = Keyword
        fields = ["keyword", "volume", "difficulty", "intent", "disabled"]
        extra_kwargs = {name: {"required": False} for name in fields}


class KeywordBulkResultSerializer(serializers.Serializer):
    created = KeywordSerializer(many=True)
    errors = serializers.ListField(child=serializers.DictField())


class CsvImportSerializer(serializers.Serializer):
    file = serializers.FileField()


class CsvImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


class ClusterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cluster
        fields = [
            "id",
            "site",
            "name",
            "description",
            "keywords_count",
            "volume",
            "status",
            "disabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "site", "keywords_count", "volume", "status", "created_at", "updated_at"]


class DuplicateOfSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="The page URL, or the earlier idea's or article's title.")
    score = serializers.FloatField(allow_null=True)


class ContentIdeaSerializer(serializers.ModelSerializer):
    keywords = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    duplicate_of = serializers.SerializerMethodField()

    @extend_schema_field(DuplicateOfSerializer(allow_null=True))
    def get_duplicate_of(self, idea) -> dict | None:
        if not idea.duplicate_of_url:
            return None
        return {"url": idea.duplicate_of_url, "score": idea.duplicate_score}

    class Meta:
        model = ContentIdea
        fields = [
            "id",
            "site",
            "idea_title",
            "description",
            "keyword_cluster",
            "keywords",
            "content_type",
            "content_structure",
            "estimated_word_count",
            "status",
            "duplicate_of",
            "disabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "site", "keyword_cluster", "keywords", "status", "created_at", "updated_at"]


class IdsSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=500
    )


class ReleasedSerializer(serializers.Serializer):
    released = serializers.IntegerField()


class SitePageSerializer(serializers.ModelSerializer):
    class Meta:
        model = SitePage
        fields = [
            "id",
            "site",
            "url",
            "title",
            "summary",
            "source",
            "content_id",
            "lastmod",
            "http_status",
            "checked_at",
            "embedding_model",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def patterns_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=300),
        max_length=50,
        required=False,
        default=list,
        help_text="URL globs (fnmatch); a pattern starting with '/' matches the URL's path.",
    )


class SitemapImportSerializer(serializers.Serializer):
    sitemap_url = serializers.URLField(max_length=1000)
    include_patterns = patterns_field()
    exclude_patterns = patterns_field()


class InventoryImportResultSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["sitemap", "csv"])
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    removed = serializers.IntegerField(help_text="Sitemap pages no longer listed, removed.")
    skipped = serializers.IntegerField(help_text="CSV lines refused (see errors).")
    errors = serializers.ListField(child=serializers.DictField())


class RefreshQueuedSerializer(serializers.Serializer):
    task_id = serializers.CharField()


class SiteKnowledgeSerializer(serializers.ModelSerializer):
    sitemap_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    include_patterns = patterns_field()
    exclude_patterns = patterns_field()

    class Meta:
        model = SiteKnowledge
        fields = [
            "site",
            "sitemap_url",
            "include_patterns",
            "exclude_patterns",
            "refresh_hours",
            "refreshed_at",
            "refresh_error",
            "links_per_article",
            "duplicate_threshold",
            "quality_threshold",
        ]
        read_only_fields = ["site", "refreshed_at", "refresh_error"]
        extra_kwargs = {name: {"required": False} for name in fields}
