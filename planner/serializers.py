from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from igny8.api import ReplaceSerializerMixin
from igny8.filters import MAX_ID
from planner.models import BrandVoice, Cluster, ContentIdea, Intent, Keyword, SiteKnowledge, SitePage
from planner.terms import MAX_TERM_LENGTH, MAX_TERMS
from planner.voice import MAX_SAMPLE_PARAGRAPH, POINTS_OF_VIEW, VOICE_FIELDS


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


class TermField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TermListField(serializers.ListField):
    """A list of terms, each a non-empty string; stored trimmed and de-duplicated by the service."""

    def __init__(self, **kwargs):
        super().__init__(
            child=TermField(max_length=MAX_TERM_LENGTH, allow_blank=False),
            max_length=MAX_TERMS,
            **kwargs,
        )


class BrandVoiceSerializer(serializers.ModelSerializer):
    """The site's brand voice; blank fields (and an empty list) mean "no preference"."""

    point_of_view = serializers.ChoiceField(choices=[*POINTS_OF_VIEW, ""], allow_blank=True)
    reading_level = serializers.IntegerField(min_value=1, max_value=18, allow_null=True)
    required_terms = TermListField()
    banned_terms = TermListField()
    sample_paragraph = serializers.CharField(
        max_length=MAX_SAMPLE_PARAGRAPH, allow_blank=True, trim_whitespace=True
    )
    # Null until the first write creates the voice.
    created_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = BrandVoice
        fields = ["site", *VOICE_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["site", "created_at", "updated_at"]
        extra_kwargs = {"tone": {"allow_blank": True}, "audience": {"allow_blank": True}}


class BrandVoiceReplaceSerializer(ReplaceSerializerMixin, BrandVoiceSerializer):
    """A PUT of the voice names every writable field."""
