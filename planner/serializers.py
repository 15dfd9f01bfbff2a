from rest_framework import serializers

from igny8.api import ReplaceSerializerMixin
from planner.models import BrandVoice, Cluster, ContentIdea, Intent, Keyword
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


class ContentIdeaSerializer(serializers.ModelSerializer):
    keywords = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

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
            "disabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "site", "keyword_cluster", "keywords", "status", "created_at", "updated_at"]


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
