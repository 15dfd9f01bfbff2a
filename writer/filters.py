import django_filters

from igny8.filters import IdFilter
from writer.models import Content, Image, Task


class TaskFilter(django_filters.FilterSet):
    cluster_id = IdFilter(field_name="cluster_id")

    class Meta:
        model = Task
        fields = ["status", "content_type", "cluster_id"]


class ContentFilter(django_filters.FilterSet):
    cluster_id = IdFilter(field_name="cluster_id")

    class Meta:
        model = Content
        fields = ["status", "site_status", "content_type", "cluster_id"]


class ImageFilter(django_filters.FilterSet):
    content_id = IdFilter(field_name="content_id")

    class Meta:
        model = Image
        fields = ["status", "image_type", "content_id"]
