from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action

from automation import run_ids, selectors
from automation.budgets import budget_status
from automation.errors import RunActive
from automation.logger import log_line
from automation.operator_serializers import RunNowParamsSerializer
from automation.retries import run_from_stage
from automation.serializers import (
    AutomationConfigSerializer,
    AutomationRunSerializer,
    CurrentProcessingSerializer,
    CurrentRunSerializer,
    EstimateSerializer,
    HistoryParamsSerializer,
    HistorySerializer,
    LogEntrySerializer,
    LogParamsSerializer,
    PipelineOverviewSerializer,
    ProcessingParamsSerializer,
    RunDetailSerializer,
    RunLogSerializer,
    RunParamsSerializer,
    RunStartedSerializer,
)
from automation.services import AutomationService
from billing.errors import InsufficientCredits
from igny8.api import success
from igny8.errors import InvalidTransition, NotFound, ServiceUnavailable, ValidationFailed
from igny8.schema import NULLABLE_DATA, errors
from tenancy.api import SITE_ID_PARAMETER
from tenancy.models import Role
from tenancy.selectors import site_get_for_user, sites_for_user

RUN_ID_PARAMETER = OpenApiParameter("run_id", run_ids.SCHEMA, OpenApiParameter.QUERY, required=True)
OPTIONAL_RUN_ID = OpenApiParameter("run_id", run_ids.SCHEMA, OpenApiParameter.QUERY, required=False)
OPTIONAL_SITE = OpenApiParameter(
    "site_id", {"type": "integer", "minimum": 1}, OpenApiParameter.QUERY, required=False
)


class AutomationViewSet(viewsets.ViewSet):
    """The automation API: config, estimate, overview, runs and their control, logs and progress."""

    action_roles = {
        "update_config": Role.ADMIN,
        "run_now": Role.EDITOR,
        "pause": Role.EDITOR,
        "resume": Role.EDITOR,
        "cancel": Role.EDITOR,
    }

    def site(self):
        return site_get_for_user(user=self.request.user, site_id=self.request.query_params.get("site_id"))

    def params(self, serializer_class):
        data = {**self.request.query_params.dict()}
        if isinstance(self.request.data, dict):
            data.update({k: v for k, v in self.request.data.items() if k not in data})
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def run(self):
        params = self.params(RunParamsSerializer)
        if "site_id" in params:
            site_ids = [site_get_for_user(user=self.request.user, site_id=params["site_id"]).pk]
        else:
            site_ids = sites_for_user(user=self.request.user).values("pk")
        return selectors.run_get_for_site_ids(run_id=params["run_id"], site_ids=site_ids)

    @extend_schema(parameters=[SITE_ID_PARAMETER], responses={200: AutomationConfigSerializer})
    @action(detail=False, methods=["get"])
    def config(self, request):
        return success(AutomationConfigSerializer(AutomationService.get_config(site=self.site())).data)

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        # Partial for PUT too: the body is the `Patched…` shape, every field optional.
        request=AutomationConfigSerializer(partial=True),
        responses={200: AutomationConfigSerializer},
        description=(
            "PUT and PATCH both change only the fields given and keep the others. Unlike the other "
            "resources' PUT, this one takes any subset of fields, as the reference system's does "
            "(its dashboard saves the config with a PUT of the changed fields only)."
        ),
    )
    @action(detail=False, methods=["put", "patch"])
    def update_config(self, request):
        config = AutomationService.get_config(site=self.site())
        if not isinstance(request.data, dict):
            raise ValidationFailed("The body must be a JSON object of config fields.")
        # Partial for PUT as well: the reference dashboard sends a PUT of the changed fields only.
        serializer = AutomationConfigSerializer(config, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        config = AutomationService.update_config(config=config, fields=serializer.validated_data)
        return success(AutomationConfigSerializer(config).data, message="Configuration saved")

    @extend_schema(parameters=[SITE_ID_PARAMETER], responses={200: EstimateSerializer})
    @action(detail=False, methods=["get"])
    def estimate(self, request):
        return success(AutomationService.estimate(site=self.site()))

    @extend_schema(
        parameters=[SITE_ID_PARAMETER],
        responses={200: PipelineOverviewSerializer},
        examples=[
            OpenApiExample(
                "Overview",
                response_only=True,
                value={
                    "stages": [
                        {
                            "number": 1,
                            "name": "Keywords → Clusters",
                            "type": "AI",
                            "pending": 12,
                            "total": 40,
                            "by_status": {"new": 12, "mapped": 28},
                        }
                    ]
                },
            )
        ],
    )
    @action(detail=False, methods=["get"])
    def pipeline_overview(self, request):
        return success(selectors.pipeline_overview(site=self.site()))

    @extend_schema(
        parameters=[SITE_ID_PARAMETER, RunNowParamsSerializer],
        request=None,
        responses={201: RunStartedSerializer},
        extensions=errors(RunActive, InsufficientCredits, ServiceUnavailable, "site_inactive"),
        examples=[
            OpenApiExample(
                "Started",
                response_only=True,
                status_codes=["201"],
                value={
                    "run_id": "run_20251203_140523_manual",
                    "status": "running",
                    "message": "Automation run started",
                },
            )
        ],
    )
    @action(detail=False, methods=["post"])
    def run_now(self, request):
        site, from_stage = self.site(), self.params(RunNowParamsSerializer)["from_stage"]
        if from_stage > 1:
            run = run_from_stage(site=site, from_stage=from_stage)
        else:
            run = AutomationService.start_automation(site=site)
        data = {"run_id": run.run_id, "status": run.status, "message": "Automation run started"}
        data["monthly_budget"] = budget_status(config=AutomationService.get_config(site=site))
        return success(data, message="Automation run started", status_code=status.HTTP_201_CREATED)

    @extend_schema(parameters=[SITE_ID_PARAMETER], responses={200: CurrentRunSerializer})
    @action(detail=False, methods=["get"])
    def current_run(self, request):
        run = selectors.active_run(site=self.site())
        return success({"run": AutomationRunSerializer(run).data if run else None})

    @extend_schema(parameters=[HistoryParamsSerializer], responses={200: HistorySerializer})
    @action(detail=False, methods=["get"])
    def history(self, request):
        site = self.site()
        limit = self.params(HistoryParamsSerializer)["limit"]
        runs = selectors.runs_for_site(site=site)[:limit]
        return success({"runs": AutomationRunSerializer(runs, many=True).data})

    @extend_schema(parameters=[SITE_ID_PARAMETER, RUN_ID_PARAMETER], responses={200: RunDetailSerializer})
    @action(detail=False, methods=["get"])
    def run_detail(self, request):
        site = self.site()
        run = self.run()
        if run.site_id != site.pk:
            raise NotFound("Automation run not found.")
        data = AutomationRunSerializer(run).data
        data["credit_breakdown"] = selectors.credit_breakdown(run=run)
        return success(data)

    @extend_schema(parameters=[LogParamsSerializer], responses={200: RunLogSerializer})
    @action(detail=False, methods=["get"])
    def logs(self, request):
        run = self.run()
        params = self.params(LogParamsSerializer)
        entries = selectors.run_log_lines(run=run, lines=params["lines"], stage=params.get("stage"))
        lines = LogEntrySerializer(entries, many=True).data
        text = "\n".join(
            log_line(at=entry.created_at, stage=entry.stage, level=entry.level, message=entry.message)
            for entry in entries
        )
        return success({"run_id": run.run_id, "lines": lines, "log": text})

    @extend_schema(
        parameters=[SITE_ID_PARAMETER, OPTIONAL_RUN_ID],
        responses={200: CurrentProcessingSerializer},
        extensions=NULLABLE_DATA,
        description="What the run (by default the site's active run) works on now; `data` is null when none.",
    )
    @action(detail=False, methods=["get"])
    def current_processing(self, request):
        site = self.site()
        run_id = self.params(ProcessingParamsSerializer).get("run_id")
        if run_id:
            run = selectors.run_get_for_site_ids(run_id=run_id, site_ids=[site.pk])
        else:
            run = selectors.active_run(site=site)
        return success(selectors.current_processing(run=run) if run else None)

    @extend_schema(
        parameters=[RUN_ID_PARAMETER, OPTIONAL_SITE],
        request=None,
        responses={200: AutomationRunSerializer},
        extensions=errors(InvalidTransition, ServiceUnavailable),
    )
    @action(detail=False, methods=["post"])
    def pause(self, request):
        return success(
            AutomationRunSerializer(AutomationService.pause_automation(run=self.run())).data,
            message="Run paused",
        )

    @extend_schema(
        parameters=[RUN_ID_PARAMETER, OPTIONAL_SITE],
        request=None,
        responses={200: AutomationRunSerializer},
        extensions=errors(InvalidTransition, RunActive, ServiceUnavailable),
    )
    @action(detail=False, methods=["post"])
    def resume(self, request):
        return success(
            AutomationRunSerializer(AutomationService.resume_automation(run=self.run())).data,
            message="Run resumed",
        )

    @extend_schema(
        parameters=[RUN_ID_PARAMETER, OPTIONAL_SITE],
        request=None,
        responses={200: AutomationRunSerializer},
        extensions=errors(InvalidTransition, ServiceUnavailable),
    )
    @action(detail=False, methods=["post"])
    def cancel(self, request):
        return success(
            AutomationRunSerializer(AutomationService.cancel_automation(run=self.run())).data,
            message="Run cancelled",
        )
