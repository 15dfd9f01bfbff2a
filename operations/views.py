"""Operator endpoints: /health/ (the process answers), /ready/ (its dependencies do), /metrics."""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from operations.health import readiness
from operations.metrics import REGISTRY


@never_cache
@require_GET
def health(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    is_ready, body = readiness()
    return JsonResponse(body, status=200 if is_ready else 503)


@never_cache
@require_GET
def metrics(request):
    if not settings.METRICS_ENABLED:
        raise Http404("Metrics are disabled.")
    if settings.METRICS_TOKEN and not constant_time_compare(
        request.headers.get("Authorization", ""), f"Bearer {settings.METRICS_TOKEN}"
    ):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = "Bearer"
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
