from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.views import APIView

from events import selectors, services
from events.models import Delivery, WebhookEndpoint
from events.serializers import DeliverySerializer, EmailSubscriptionSerializer, WebhookSerializer
from igny8.api import success
from igny8.errors import ApplicationError
from igny8.schema import errors
from tenancy.models import Role


class WebhookViewSet(viewsets.ModelViewSet):
    """The account's webhook endpoints: signed events are POSTed to each for the types it chose."""

    queryset = WebhookEndpoint.objects.none()
    serializer_class = WebhookSerializer
    write_role = Role.ADMIN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return selectors.webhooks_for_account(account=self.request.user.account)

    @extend_schema(extensions=errors("url_not_allowed", "url_unreachable"))
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        account = self.request.user.account
        if account is None:
            raise ApplicationError("Staff users without an account cannot add webhooks here.")
        serializer.instance = services.webhook_create(account=account, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.webhook_update(
            endpoint=serializer.instance, fields=dict(serializer.validated_data)
        )

    @extend_schema(request=None, responses={201: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        delivery = services.webhook_send_test(endpoint=self.get_object())
        return success(
            DeliverySerializer(delivery).data,
            message="Test event queued",
            status_code=status.HTTP_201_CREATED,
        )


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The delivery log: each event sent to each endpoint, its attempts and the codes they got."""

    queryset = Delivery.objects.none()
    serializer_class = DeliverySerializer
    write_role = Role.ADMIN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        deliveries = selectors.deliveries_for_account(account=self.request.user.account)
        if self.action == "list":
            params = self.request.query_params
            if status_filter := params.get("status"):
                deliveries = deliveries.filter(status=status_filter)
            if event_type := params.get("event_type"):
                deliveries = deliveries.filter(event__type=event_type)
        return deliveries.prefetch_related("attempt_log")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", {"type": "string", "enum": ["pending", "delivered", "failed"]}),
            OpenApiParameter("event_type", {"type": "string", "maxLength": 40}),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = services.delivery_redeliver(delivery=self.get_object())
        return success(DeliverySerializer(delivery).data, message="Delivery queued again")


class EmailSubscriptionView(APIView):
    """The caller's own email notifications for the account's events (any role may choose its own)."""

    write_role = Role.VIEWER

    @extend_schema(
        operation_id="events_email_subscription_retrieve", responses={200: EmailSubscriptionSerializer}
    )
    def get(self, request):
        return success(selectors.email_subscription_of(user=request.user))

    @extend_schema(
        operation_id="events_email_subscription_update",
        request=EmailSubscriptionSerializer,
        responses={200: EmailSubscriptionSerializer},
    )
    def put(self, request):
        serializer = EmailSubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if request.user.account_id is None:
            raise ApplicationError("Staff users without an account receive no account emails.")
        data = services.email_subscription_set(user=request.user, **serializer.validated_data)
        return success(data, message="Email notifications saved")
