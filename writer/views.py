from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

from igny8.api import success
from igny8.errors import InvalidTransition
from igny8.schema import errors
from tenancy.api import SITE_ID_PARAMETER, SiteScopedMixin
from writer import services
from writer.filters import ContentFilter, ImageFilter, TaskFilter, with_quality_score
from writer.models import Content, Image, Task
from writer.serializers import (
    BulkStatusResultSerializer,
    BulkStatusSerializer,
    ContentSerializer,
    ImageSerializer,
    TaskSerializer,
)

LIST_SCHEMA = extend_schema(parameters=[SITE_ID_PARAMETER])


@extend_schema_view(list=LIST_SCHEMA)
class TaskViewSet(SiteScopedMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    search_fields = ["title"]
    ordering_fields = ["id", "title", "word_count", "created_at"]


@extend_schema_view(list=LIST_SCHEMA, partial_update=extend_schema(extensions=errors(InvalidTransition)))
class ContentViewSet(
    SiteScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = with_quality_score(Content.objects.prefetch_related("images"))
    serializer_class = ContentSerializer
    filterset_class = ContentFilter
    search_fields = ["title", "primary_keyword"]
    ordering_fields = ["id", "title", "word_count", "created_at", "quality_score"]
    http_method_names = ["get", "patch", "post", "head", "options"]
    site_required_actions = ("list", "bulk_update_status")

    def perform_update(self, serializer):
        serializer.instance = services.content_update(
            content=serializer.instance, fields=serializer.validated_data
        )

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        request=BulkStatusSerializer,
        responses={200: BulkStatusResultSerializer},
        extensions=errors(InvalidTransition),
    )
    @action(detail=False, methods=["post"])
    def bulk_update_status(self, request):
        serializer = BulkStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.contents_bulk_update_status(site=self.get_site(), **serializer.validated_data)
        return success({"updated": updated})


@extend_schema_view(list=LIST_SCHEMA)
class ImageViewSet(SiteScopedMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Image.objects.all()
    serializer_class = ImageSerializer
    filterset_class = ImageFilter
    ordering_fields = ["id", "position", "created_at"]
