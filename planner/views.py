from drf_spectacular.utils import (
    OpenApiExample,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.views import APIView

from igny8.api import success
from igny8.errors import ServiceUnavailable, ValidationFailed
from igny8.outbound import CrossHostRedirect, UrlNotAllowed
from igny8.parsers import BoundedJSONParser
from igny8.schema import errors
from planner import inventory, services
from planner.filters import ClusterFilter, ContentIdeaFilter, KeywordFilter, SitePageFilter
from planner.models import Cluster, ContentIdea, Keyword, SitePage
from planner.serializers import (
    BrandVoiceReplaceSerializer,
    BrandVoiceSerializer,
    ClusterSerializer,
    ContentIdeaSerializer,
    CsvImportResultSerializer,
    CsvImportSerializer,
    IdsSerializer,
    InventoryImportResultSerializer,
    KeywordBulkResultSerializer,
    KeywordInputSerializer,
    KeywordSerializer,
    KeywordUpdateSerializer,
    RefreshQueuedSerializer,
    ReleasedSerializer,
    SiteKnowledgeSerializer,
    SitemapImportSerializer,
    SitePageSerializer,
)
from planner.voice import voice_get, voice_update
from tenancy.api import SITE_ID_PARAMETER, SiteScopedMixin
from tenancy.models import Role
from tenancy.selectors import site_get_for_user

LIST_SCHEMA = extend_schema(parameters=[SITE_ID_PARAMETER])


class ReadUpdateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    http_method_names = ["get", "patch", "post", "delete", "head", "options"]


@extend_schema_view(list=LIST_SCHEMA, create=LIST_SCHEMA)
class KeywordViewSet(SiteScopedMixin, ReadUpdateViewSet, mixins.CreateModelMixin, mixins.DestroyModelMixin):
    queryset = Keyword.objects.all()
    serializer_class = KeywordSerializer
    filterset_class = KeywordFilter
    search_fields = ["keyword"]
    ordering_fields = ["id", "keyword", "volume", "difficulty", "created_at"]
    site_required_actions = ("list", "create", "import_csv")

    @extend_schema(
        request=PolymorphicProxySerializer(
            "KeywordCreateInput",
            serializers=[KeywordInputSerializer, KeywordInputSerializer(many=True, min_length=1)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: PolymorphicProxySerializer(
                "KeywordCreateResult",
                serializers=[KeywordSerializer, KeywordBulkResultSerializer],
                resource_type_field_name=None,
                many=False,
            )
        },
        extensions=errors("duplicate_keyword", "conflict"),
        description="One keyword object, or a list of them (each row refused with its reason).",
        examples=[
            OpenApiExample(
                "One keyword",
                request_only=True,
                value={
                    "keyword": "best trail shoes",
                    "volume": 1900,
                    "difficulty": 34,
                    "intent": "commercial",
                },
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        site = self.get_site()
        if isinstance(request.data, list):
            if not request.data:
                raise ValidationFailed("The list of keywords is empty.")
            added = services.keywords_create_many(site=site, raws=request.data)
            body = {
                "created": KeywordSerializer(added.created, many=True).data,
                "errors": [{"index": item["ref"], "error": item["error"]} for item in added.errors],
            }
            return success(body, status_code=status.HTTP_201_CREATED)
        serializer = KeywordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        keyword = services.keyword_create(site=site, raw=serializer.validated_data)
        return success(KeywordSerializer(keyword).data, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=KeywordUpdateSerializer,
        responses={200: KeywordSerializer},
        extensions=errors("duplicate_keyword"),
    )
    def partial_update(self, request, *args, **kwargs):
        serializer = KeywordUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        keyword = services.keyword_update(keyword=self.get_object(), fields=serializer.validated_data)
        return success(KeywordSerializer(keyword).data)

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        request={"multipart/form-data": CsvImportSerializer},
        responses={200: CsvImportResultSerializer},
        extensions=errors("file_too_large", "invalid_encoding", "missing_header"),
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def import_csv(self, request):
        site = self.get_site()
        serializer = CsvImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        services.csv_size_check(size=upload.size)
        result = services.keyword_import_csv(site=site, data=upload.read())
        return success(result)


@extend_schema_view(list=LIST_SCHEMA, partial_update=extend_schema(extensions=errors("duplicate_cluster")))
class ClusterViewSet(SiteScopedMixin, ReadUpdateViewSet):
    queryset = Cluster.objects.all()
    serializer_class = ClusterSerializer
    filterset_class = ClusterFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "volume", "keywords_count", "created_at"]

    def perform_update(self, serializer):
        serializer.instance = services.cluster_update(
            cluster=serializer.instance, fields=serializer.validated_data
        )


@extend_schema_view(list=LIST_SCHEMA)
class ContentIdeaViewSet(SiteScopedMixin, ReadUpdateViewSet):
    queryset = ContentIdea.objects.prefetch_related("keywords")
    serializer_class = ContentIdeaSerializer
    filterset_class = ContentIdeaFilter
    search_fields = ["idea_title"]
    ordering_fields = ["id", "idea_title", "estimated_word_count", "created_at"]

    def perform_update(self, serializer):
        serializer.instance = services.idea_update(idea=serializer.instance, fields=serializer.validated_data)

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        request=IdsSerializer,
        responses={200: ReleasedSerializer},
        extensions=errors("invalid_ids"),
        description="Held-back (`duplicate`) ideas back to `new`; their `duplicate_of` stays on record.",
    )
    @action(detail=False, methods=["post"])
    def release(self, request):
        site = site_get_for_user(user=request.user, site_id=request.query_params.get("site_id"))
        serializer = IdsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        released = inventory.ideas_release(site=site, ids=serializer.validated_data["ids"])
        return success({"released": released})


SITEMAP_ERRORS = (
    "sitemap_invalid",
    "sitemap_unavailable",
    "too_many_pages",
    UrlNotAllowed,
    CrossHostRedirect,
    "url_unreachable",
    "sitemap_too_large",
)


@extend_schema_view(list=LIST_SCHEMA)
class SitePageViewSet(
    SiteScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The site inventory: its pages from sitemaps and CSVs, and the articles generated for it."""

    queryset = SitePage.objects.all()
    serializer_class = SitePageSerializer
    filterset_class = SitePageFilter
    search_fields = ["url", "title"]
    ordering_fields = ["id", "url", "title", "checked_at", "created_at"]
    site_required_actions = ("list", "import_pages", "refresh")

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        request={"application/json": SitemapImportSerializer, "multipart/form-data": CsvImportSerializer},
        responses={200: InventoryImportResultSerializer},
        extensions=errors(*SITEMAP_ERRORS, "file_too_large", "invalid_encoding", "missing_header"),
        description="Import the pages a sitemap lists (JSON `{sitemap_url}`; its settings are saved) or a "
        "CSV (`file` with columns url,title,summary). A refresh then reads each sitemap page.",
    )
    @action(
        detail=False, methods=["post"], url_path="import", parser_classes=[BoundedJSONParser, MultiPartParser]
    )
    def import_pages(self, request):
        site = self.get_site()
        if "file" in request.data or request.content_type.startswith("multipart/"):
            serializer = CsvImportSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = serializer.validated_data["file"]
            services.csv_size_check(size=upload.size)
            result = inventory.inventory_import_csv(site=site, data=upload.read())
            return success({"source": "csv", "removed": 0, **result})
        serializer = SitemapImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = inventory.inventory_import_sitemap(site=site, **serializer.validated_data)
        return success(
            {
                "source": "sitemap",
                "created": result["created"],
                "updated": result["updated"],
                "removed": result["removed"],
                "skipped": 0,
                "errors": [],
            }
        )

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        request=None,
        responses={202: RefreshQueuedSerializer},
        extensions=errors(ServiceUnavailable),
        description="Queue a refresh: the sitemap is read again and each of its pages read.",
    )
    @action(detail=False, methods=["post"])
    def refresh(self, request):
        task_id = inventory.inventory_refresh_enqueue(site=self.get_site())
        return success({"task_id": task_id}, message="refresh queued", status_code=status.HTTP_202_ACCEPTED)


class SiteKnowledgeView(APIView):
    """GET/PATCH the site's knowledge settings (sitemap, patterns, refresh, links, guard, quality).

    A site's configuration: everyone reads it, owners and admins change it (as the automation config).
    """

    write_role = Role.ADMIN

    @extend_schema(parameters=[SITE_ID_PARAMETER], responses={200: SiteKnowledgeSerializer})
    def get(self, request):
        site = site_get_for_user(user=request.user, site_id=request.query_params.get("site_id"))
        return success(SiteKnowledgeSerializer(inventory.knowledge_for_site(site=site)).data)

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        request=SiteKnowledgeSerializer,
        responses={200: SiteKnowledgeSerializer},
    )
    def patch(self, request):
        site = site_get_for_user(user=request.user, site_id=request.query_params.get("site_id"))
        serializer = SiteKnowledgeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        knowledge = inventory.knowledge_update(site=site, fields=serializer.validated_data)
        return success(SiteKnowledgeSerializer(knowledge).data)


VOICE_EXAMPLE = OpenApiExample(
    "A voice",
    value={
        "tone": "warm, plain-spoken",
        "audience": "first-time trail runners",
        "point_of_view": "second",
        "reading_level": 8,
        "required_terms": ["trail running"],
        "banned_terms": ["cheap"],
        "sample_paragraph": "You don't need fancy gear to start. You need a path and an hour.",
    },
)


class BrandVoiceView(APIView):
    """The site's brand voice, fed to idea, article and image-prompt generation and checked on each article.

    A site without one answers the empty defaults; the first PUT or PATCH creates it.
    Viewers read; owners and admins change it.
    """

    write_role = Role.ADMIN

    def site(self):
        return site_get_for_user(user=self.request.user, site_id=self.request.query_params.get("site_id"))

    @extend_schema(
        operation_id="voice_retrieve", parameters=[SITE_ID_PARAMETER], responses={200: BrandVoiceSerializer}
    )
    def get(self, request):
        return success(BrandVoiceSerializer(voice_get(site=self.site())).data)

    @extend_schema(
        operation_id="voice_update",
        parameters=[SITE_ID_PARAMETER],
        request=BrandVoiceReplaceSerializer,
        responses={200: BrandVoiceSerializer},
        extensions=errors("voice_terms_conflict"),
        examples=[VOICE_EXAMPLE],
    )
    def put(self, request):
        return self.change(BrandVoiceReplaceSerializer(data=request.data))

    @extend_schema(
        operation_id="voice_partial_update",
        parameters=[SITE_ID_PARAMETER],
        request=BrandVoiceSerializer(partial=True),
        responses={200: BrandVoiceSerializer},
        extensions=errors("voice_terms_conflict"),
    )
    def patch(self, request):
        return self.change(BrandVoiceSerializer(data=request.data, partial=True))

    def change(self, serializer):
        site = self.site()
        serializer.is_valid(raise_exception=True)
        voice = voice_update(site=site, fields=serializer.validated_data)
        return success(BrandVoiceSerializer(voice).data, message="Voice saved")
