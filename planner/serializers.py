from rest_framework import serializers

from planner.models import Cluster, ContentIdea, Intent, Keyword


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
