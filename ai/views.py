from celery.result import AsyncResult
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.views import APIView

from ai import services
from ai.functions import get_function
from ai.models import AITaskLog
from ai.serializers import (
    ADD_LINKS_REQUEST,
    ActionSerializer,
    AddLinksResultSerializer,
    AddLinksSerializer,
    AITaskLogSerializer,
    QueuedSerializer,
    TaskStateSerializer,
)
from billing.errors import InsufficientCredits
from igny8.api import success
from igny8.errors import NotFound, ServiceUnavailable
from igny8.filters import MAX_ID
from igny8.schema import errors
from tenancy.api import SITE_ID_PARAMETER
from tenancy.selectors import site_get_for_user


class AIActionView(APIView):
    """POST {ids}: validate, check credits, queue the function; 202 with the task to poll."""

    function_name = ""
    serializer_class = ActionSerializer

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        responses={202: QueuedSerializer},
        extensions=errors(
            "invalid_ids", "too_few_keywords", "cost_not_configured", InsufficientCredits, ServiceUnavailable
        ),
    )
    def post(self, request):
        site = site_get_for_user(user=request.user, site_id=request.query_params.get("site_id"))
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        task_id = self.dispatch_action(payload=serializer.validated_data, site=site)
        data = {"task_id": task_id, "status_url": f"/api/v1/ai/tasks/{task_id}/"}
        return success(data, message=f"{self.function_name} queued", status_code=status.HTTP_202_ACCEPTED)

    def dispatch_action(self, *, payload: dict, site) -> str:
        return services.ai_action_dispatch(name=self.function_name, payload=payload, site=site)


class QueueToWriterView(AIActionView):
    """POST {ids}: tasks for new ideas (local work, no credits), queued like the AI actions."""

    function_name = "queue_to_writer"

    def dispatch_action(self, *, payload: dict, site) -> str:
        return services.queue_to_writer_dispatch(payload=payload, site=site)


class AddLinksView(APIView):
    """POST {ids} or {all: true}: internal links for already written articles (never twice the same).

    Up to ten articles are linked during the request (200 with the counts); more, or the whole site,
    in a task (202 with the task to poll).
    """

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        request=ADD_LINKS_REQUEST,
        responses={200: AddLinksResultSerializer, 202: QueuedSerializer},
        extensions=errors(NotFound, ServiceUnavailable),
    )
    def post(self, request):
        site = site_get_for_user(user=request.user, site_id=request.query_params.get("site_id"))
        serializer = AddLinksSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = None if serializer.validated_data["all"] else serializer.validated_data["ids"]
        result, task_id = services.add_links_dispatch(site=site, content_ids=ids)
        if task_id is None:
            return success(result, message="links added")
        data = {"task_id": task_id, "status_url": f"/api/v1/ai/tasks/{task_id}/"}
        return success(data, message="add_links queued", status_code=status.HTTP_202_ACCEPTED)


def action_view(name: str, serializer_class=ActionSerializer):
    title = "".join(part.title() for part in name.split("_"))
    function = get_function(name)
    # The schema states the function's own limits on `ids`, which the engine enforces.
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=function.max_items,
    )
    request = type(f"{title}Serializer", (serializer_class,), {"ids": ids})
    return type(
        f"{title}View", (AIActionView,), {"function_name": name, "serializer_class": request}
    ).as_view()


class AITaskLogListView(generics.ListAPIView):
    serializer_class = AITaskLogSerializer

    @extend_schema(
        parameters=[
            SITE_ID_PARAMETER,
            OpenApiParameter("run_id", {"type": "string", "maxLength": 80}),
            OpenApiParameter("function", {"type": "string", "maxLength": 40}),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AITaskLog.objects.none()
        site = site_get_for_user(user=self.request.user, site_id=self.request.query_params.get("site_id"))
        logs = AITaskLog.objects.filter(site=site)
        if run_id := self.request.query_params.get("run_id"):
            logs = logs.filter(automation_run_id=run_id)
        if function := self.request.query_params.get("function"):
            logs = logs.filter(function=function)
        return logs.order_by("-id")


class AITaskStateView(APIView):
    @extend_schema(responses={200: TaskStateSerializer}, extensions=errors(ServiceUnavailable))
    def get(self, request, task_id: str):
        owner = services.ai_task_account_id(task_id=task_id)
        if owner is None or (owner != request.user.account_id and not request.user.is_privileged):
            raise NotFound("Task not found.")
        result = AsyncResult(task_id)
        state, info = result.state, result.info
        data = {"task_id": task_id, "state": state, "progress": None, "result": None, "error": None}
        if state == "PROGRESS" and isinstance(info, dict):
            data["progress"] = info
        elif state == "SUCCESS":
            data["result"] = result.result
        elif state == "FAILURE":
            data["error"] = getattr(info, "message", None) or str(info)
        return success(data)
