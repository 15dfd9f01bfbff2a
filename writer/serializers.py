from rest_framework import serializers

from writer.models import Content, ContentStatus, Image, Task


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = [
            "id",
            "site",
            "title",
            "description",
            "cluster",
            "idea",
            "content_type",
            "content_structure",
            "keywords",
            "word_count",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Image
        fields = [
            "id",
            "site",
            "content",
            "image_type",
            "prompt",
            "image_url",
            "image_path",
            "status",
            "position",
            "error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def short_strings(*, max_length: int, max_items: int) -> serializers.ListField:
    # CharField children refuse NUL and unpaired surrogates, which PostgreSQL's jsonb cannot store.
    return serializers.ListField(
        child=serializers.CharField(max_length=max_length), max_length=max_items, required=False
    )


class LinkSerializer(serializers.Serializer):
    """An internal link of an article: the page it leads to and the words that carry it."""

    url = serializers.CharField()
    anchor = serializers.CharField()


class QualityFindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])


class VoiceCheckSerializer(serializers.Serializer):
    banned_found = serializers.ListField(child=serializers.CharField())
    required_missing = serializers.ListField(child=serializers.CharField())
    reading_level = serializers.FloatField(allow_null=True)
    reading_level_target = serializers.IntegerField(allow_null=True)
    reading_level_distance = serializers.FloatField(allow_null=True)


class QualitySerializer(serializers.Serializer):
    """The quality gate's verdict; every field null until the article has been checked."""

    score = serializers.IntegerField(min_value=0, max_value=100, allow_null=True)
    findings = QualityFindingSerializer(many=True, allow_null=True)
    voice = VoiceCheckSerializer(allow_null=True)
    checked = serializers.ChoiceField(
        choices=["text", "full"], allow_null=True, help_text="text: at stage 4; full: at the review gate"
    )
    threshold = serializers.IntegerField(allow_null=True)
    flagged = serializers.BooleanField(
        allow_null=True, help_text="below the site's threshold after one regeneration"
    )


class ContentSerializer(serializers.ModelSerializer):
    images = ImageSerializer(many=True, read_only=True)
    links = LinkSerializer(many=True, read_only=True)
    quality = QualitySerializer(read_only=True)
    secondary_keywords = short_strings(max_length=255, max_items=50)
    tags = short_strings(max_length=100, max_items=50)
    categories = short_strings(max_length=100, max_items=20)

    class Meta:
        model = Content
        fields = [
            "id",
            "site",
            "task",
            "title",
            "content_html",
            "word_count",
            "meta_title",
            "meta_description",
            "primary_keyword",
            "secondary_keywords",
            "tags",
            "categories",
            "cluster",
            "content_type",
            "content_structure",
            "source",
            "status",
            "site_status",
            "scheduled_publish_at",
            "external_id",
            "external_url",
            "publish_error",
            "links",
            "images",
            "quality",
            "regenerated",
            "created_at",
            "updated_at",
        ]
        # The publishing app moves these: content/publish/ and content/unschedule/.
        read_only_fields = [
            "id",
            "site",
            "task",
            "word_count",
            "cluster",
            "source",
            "site_status",
            "scheduled_publish_at",
            "external_id",
            "external_url",
            "publish_error",
            "links",
            "images",
            "regenerated",
            "created_at",
            "updated_at",
        ]


class BulkStatusSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=500)
    status = serializers.ChoiceField(choices=ContentStatus.choices)


class BulkStatusResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField()
