import logging

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.views import APIView

from igny8.api import success
from igny8.schema import errors
from publishing import services
from publishing.errors import DestinationExists, NoDestination, NotPublishable
from publishing.inventory import destination_pages_import
from publishing.models import Destination
from publishing.overview import sites_overview
from publishing.serializers import (
    DestinationImportResultSerializer,
    DestinationReplaceSerializer,
    DestinationSerializer,
    OverviewParamsSerializer,
    OverviewRowSerializer,
    OverviewSerializer,
    PublishResultSerializer,
    PublishSerializer,
    UnscheduleResultSerializer,
    UnscheduleSerializer,
    VerificationSerializer,
)
from publishing.verify import verify_destination
from tenancy.api import SITE_ID_PARAMETER, SiteScopedMixin
from tenancy.models import Role
from tenancy.selectors import site_get_for_user, sites_for_user

logger = logging.getLogger(__name__)
ADMIN_ACTIONS = ("create", "update", "partial_update", "destroy")


@extend_schema_view(
    list=extend_schema(parameters=[SITE_ID_PARAMETER]),
    create=extend_schema(parameters=[SITE_ID_PARAMETER], extensions=errors(DestinationExists)),
)
class DestinationViewSet(SiteScopedMixin, viewsets.ModelViewSet):
    """A site's publishing destination (one a site): WordPress or a signed webhook."""

    queryset = Destination.objects.all()
    serializer_class = DestinationSerializer
    action_roles = {name: Role.ADMIN for name in ADMIN_ACTIONS}
    filterset_fields = ["kind", "status"]
    ordering_fields = ["id", "created_at"]

    def get_serializer_class(self):
        return DestinationReplaceSerializer if self.action == "update" else DestinationSerializer

    def perform_create(self, serializer):
        serializer.instance = services.destination_create(site=self.get_site(), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.destination_update(
            destination=serializer.instance, fields=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.destination_delete(destination=instance)

    @extend_schema(request=None, responses={200: VerificationSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        destination = self.get_object()
        result = verify_destination(destination=destination)
        return success({**result.as_dict(), "destination": DestinationSerializer(destination).data})


def send_due_after_commit(contents) -> None:
    """Articles due now go to a worker at once; the beat sends any this misses (a broker hiccup)."""
    from publishing.tasks import publish_content_task

    now = timezone.now()
    due = [content.pk for content in contents if content.scheduled_publish_at <= now]

    def send() -> None:
        for content_id in due:
            try:
                publish_content_task.delay(content_id)
            except Exception:  # the beat's next tick sends it
                logger.warning("could not queue the publish of content %s; the beat will", content_id)

    transaction.on_commit(send)


class ContentPublishView(APIView):
    """Approve articles and put them on the site's schedule (or at `when`). Articles already
    published are updated in place when they go out again."""

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        request=PublishSerializer,
        responses={200: PublishResultSerializer},
        extensions=errors(NoDestination, NotPublishable),
    )
    def post(self, request):
        site = site_get_for_user(user=request.user, site_id=request.query_params.get("site_id"))
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contents = services.contents_publish(site=site, **serializer.validated_data)
        send_due_after_commit(contents)
        scheduled = [
            {"id": c.pk, "site_status": c.site_status, "scheduled_publish_at": c.scheduled_publish_at}
            for c in contents
        ]
        return success(PublishResultSerializer({"scheduled": scheduled}).data)


class InventoryImportDestinationView(APIView):
    """Import the published posts and pages of the site's WordPress into its inventory."""

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        request=None,
        responses={200: DestinationImportResultSerializer},
        extensions=errors(NoDestination, "unsupported_destination", "destination_unreachable"),
    )
    def post(self, request):
        site = site_get_for_user(user=request.user, site_id=request.query_params.get("site_id"))
        return success(DestinationImportResultSerializer(destination_pages_import(site=site)).data)


class ContentUnscheduleView(APIView):
    """Take scheduled or failed articles off the schedule (they stay approved)."""

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        request=UnscheduleSerializer,
        responses={200: UnscheduleResultSerializer},
        extensions=errors(NotPublishable),
    )
    def post(self, request):
        site = site_get_for_user(user=request.user, site_id=request.query_params.get("site_id"))
        serializer = UnscheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return success({"unscheduled": services.contents_unschedule(site=site, **serializer.validated_data)})


class OverviewView(APIView):
    """Every site of the account, one row each: last run, next run, failures, review queue, publishing,
    destination, budget."""

    @extend_schema(parameters=[OverviewParamsSerializer], responses={200: OverviewSerializer})
    def get(self, request):
        serializer = OverviewParamsSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        params = serializer.validated_data
        rows = sites_overview(
            account=request.user.account,
            sites=sites_for_user(user=request.user).filter(account=request.user.account),
            ordering=params["ordering"],
            attention_only=params["needs_attention"],
            status=params.get("status"),
            search=params.get("search"),
        )
        return success({"count": len(rows), "sites": OverviewRowSerializer(rows, many=True).data})
