import django_filters

from writer.models import Content, Image, Task


class TaskFilter(django_filters.FilterSet):
    cluster_id = django_filters.NumberFilter(field_name="cluster_id")

    class Meta:
        model = Task
        fields = ["status", "content_type", "cluster_id"]


class ContentFilter(django_filters.FilterSet):
    cluster_id = django_filters.NumberFilter(field_name="cluster_id")

    class Meta:
        model = Content
        fields = ["status", "content_type", "cluster_id"]


class ImageFilter(django_filters.FilterSet):
    content_id = django_filters.NumberFilter(field_name="content_id")

    class Meta:
        model = Image
        fields = ["status", "image_type", "content_id"]
