"""The operator endpoints: failed items across runs and sites, and retrying them."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.views import APIView

from automation.bulk import sites_bulk_action
from automation.errors import NothingToRetry, RunActive
from automation.failures import failures_for_account
from automation.models import AutomationRun, ItemFailure
from automation.operator_serializers import (
    RETRY_REQUEST,
    BulkResultsSerializer,
    BulkSerializer,
    FailureParamsSerializer,
    ItemFailureSerializer,
    RetryResultSerializer,
    RetrySerializer,
)
from automation.retries import RetryFilter, retry_failed
from billing.errors import InsufficientCredits
from igny8.api import success
from igny8.errors import NotFound, ServiceUnavailable
from igny8.schema import errors
from tenancy.selectors import site_get_for_user, sites_for_user


def caller_site_ids(request, site_id=None) -> list[int]:
    """The caller's sites (or the one given, 404 when it is not the caller's)."""
    if site_id is not None:
        return [site_get_for_user(user=request.user, site_id=site_id).pk]
    return list(sites_for_user(user=request.user).values_list("pk", flat=True))


class FailuresView(generics.ListAPIView):
    """Items a stage could not process, with why: per run, per site, or across the account's sites."""

    serializer_class = ItemFailureSerializer

    @extend_schema(parameters=[FailureParamsSerializer], extensions=errors(NotFound))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ItemFailure.objects.none()
        serializer = FailureParamsSerializer(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        params = serializer.validated_data
        site_ids = caller_site_ids(self.request, params.get("site_id"))
        failures = failures_for_account(
            account=self.request.user.account,
            site_ids=site_ids,
            run_id=params.get("run_id"),
            stage=params.get("stage"),
            function=params.get("function"),
            code=params.get("code"),
            since=params.get("since"),
            include_resolved=params["include_resolved"],
        )
        if params.get("run_id") and not failures.exists():
            self.check_run_visible(params["run_id"], site_ids)
        return failures

    @staticmethod
    def check_run_visible(run_id: str, site_ids: list[int]) -> None:
        if not AutomationRun.objects.filter(run_id=run_id, site_id__in=site_ids).exists():
            raise NotFound("Automation run not found.")


class RetryView(APIView):
    """Retry failed items as new runs, one per site, each taking the lock and credit check of any run."""

    @extend_schema(
        request=RETRY_REQUEST,
        responses={201: RetryResultSerializer},
        extensions=errors(NothingToRetry, RunActive, InsufficientCredits, ServiceUnavailable, NotFound),
    )
    def post(self, request):
        serializer = RetrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data
        if "run_id" in body:
            site_ids = caller_site_ids(request)
            FailuresView.check_run_visible(body["run_id"], site_ids)
            selection = RetryFilter(run_id=body["run_id"], stage=body.get("stage"))
        else:
            given = body["filter"]
            site_ids = caller_site_ids(request, given.get("site_id"))
            selection = RetryFilter(**{k: v for k, v in given.items() if k != "site_id"})
        result = retry_failed(
            account=request.user.account,
            site_ids=site_ids,
            selection=selection,
            raise_refusal="run_id" in body,
        )
        message = f"{len(result['runs'])} retry run(s) started"
        return success(result, message=message, status_code=status.HTTP_201_CREATED)


class BulkView(APIView):
    """Run now, pause, resume or retry failed items on selected sites; each site answers for itself."""

    @extend_schema(
        request=BulkSerializer, responses={200: BulkResultsSerializer}, extensions=errors(NotFound)
    )
    def post(self, request):
        serializer = BulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data
        results = sites_bulk_action(
            account=request.user.account,
            sites=sites_for_user(user=request.user),
            site_ids=body["site_ids"],
            action=body["action"],
        )
        done = sum(result["ok"] for result in results)
        return success({"results": results}, message=f"{body['action']}: {done} of {len(results)} site(s)")
