import django_filters
from django import forms
from django.db.models import IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from drf_spectacular.utils import extend_schema_field

from igny8.filters import IdFilter
from writer.models import Content, Image, Task


class TaskFilter(django_filters.FilterSet):
    cluster_id = IdFilter(field_name="cluster_id")

    class Meta:
        model = Task
        fields = ["status", "content_type", "cluster_id"]


def with_quality_score(queryset):
    """`quality_score`: the gate's score as a number (null until the article was checked)."""
    return queryset.annotate(quality_score=Cast(KT("quality__score"), IntegerField()))


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 101})
class ScoreFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=0, max_value=101, **kwargs)


class ContentFilter(django_filters.FilterSet):
    cluster_id = IdFilter(field_name="cluster_id")
    # Articles the quality gate scored below this (those not scored yet are left out).
    quality_below = ScoreFilter(method="filter_quality_below")
    flagged = django_filters.BooleanFilter(method="filter_flagged")

    def filter_quality_below(self, queryset, name, value):
        return with_quality_score(queryset).filter(quality_score__lt=value)

    def filter_flagged(self, queryset, name, value):
        return queryset.filter(quality__flagged=True) if value else queryset.exclude(quality__flagged=True)

    class Meta:
        model = Content
        fields = ["status", "site_status", "content_type", "cluster_id"]


class ImageFilter(django_filters.FilterSet):
    content_id = IdFilter(field_name="content_id")

    class Meta:
        model = Image
        fields = ["status", "image_type", "content_id"]
