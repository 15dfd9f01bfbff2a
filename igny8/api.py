"""API conventions: the success, list and error envelopes, pagination and the exception handler."""

import logging
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.http import Http404, JsonResponse
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from igny8.db import is_deadlock
from igny8.errors import ApplicationError, RequestTooLarge, ValidationFailed

logger = logging.getLogger(__name__)


class Envelope(dict):
    """A response body that is already in envelope form; the renderer only adds the request id."""


def success(data=None, *, message: str | None = None, status_code: int = status.HTTP_200_OK) -> Response:
    body = Envelope(success=True, data=data)
    if message:
        body["message"] = message
    return Response(body, status=status_code)


def _request_id(renderer_context) -> str | None:
    request = (renderer_context or {}).get("request")
    return getattr(request, "request_id", None) if request is not None else None


class EnvelopeRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code == status.HTTP_204_NO_CONTENT:
            return b""
        if not isinstance(data, Envelope):
            data = Envelope(success=True, data=data)
        data["request_id"] = _request_id(renderer_context)
        return super().render(data, accepted_media_type, renderer_context)


def _is_positive_integer(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and int(raw) >= 1


class EnvelopePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        # A malformed page size is refused rather than silently replaced by the default.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: ["A positive integer is required."]}
            )
        return min(int(raw), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not _is_positive_integer(raw):
            raise exceptions.ValidationError({self.page_query_param: ["A positive integer is required."]})
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return Response(
            Envelope(
                success=True,
                count=self.page.paginator.count,
                next=self.get_next_link(),
                previous=self.get_previous_link(),
                results=data,
            )
        )

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] = {
            "success": {"type": "boolean"},
            **paginated["properties"],
            "request_id": {"type": "string"},
        }
        paginated["required"] = ["success", "count", "next", "previous", "results", "request_id"]
        return paginated

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Rows per page, {self.page_size} by default; above {self.max_page_size} "
                    f"counts as {self.max_page_size}."
                )
        return parameters


class ReplaceSerializerMixin:
    """For a PUT (not partial): every writable field is required, so a PUT replaces, never patches."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.partial:
            for field in self.fields.values():
                if not field.read_only:
                    field.required = True


class QuerySerializer(serializers.Serializer):
    """Query parameters: one that is present needs a value (`?since=` is not `since` left out)."""

    def to_internal_value(self, data):
        blank = {name: ["This field may not be blank."] for name in self.fields if data.get(name) == ""}
        if blank:
            raise exceptions.ValidationError(blank)
        return super().to_internal_value(data)


def error_body(message: str, code: str, errors: dict | None = None) -> Envelope:
    body = Envelope(success=False, error=message, code=code)
    if errors:
        body["errors"] = errors
    return body


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            inner = _first_message(value)
            if inner:
                return inner if field in ("non_field_errors", "detail") else f"{field}: {inner}"
    elif isinstance(errors, list):
        for value in errors:
            inner = _first_message(value)
            if inner:
                return inner
    elif errors:
        return str(errors)
    return ""


def _validation_errors(detail) -> dict:
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


# A 401 names the scheme the API expects (RFC 7235), whichever authenticator refused.
WWW_AUTHENTICATE = 'Bearer realm="api"'


def exception_handler(exc, context):
    """Every error leaves the API as the error envelope; unexpected ones as a bare 500."""
    response = _exception_response(exc, context)
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = getattr(exc, "auth_header", None) or WWW_AUTHENTICATE
    return response


def _exception_response(exc, context):
    headers = {}
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(
            f"The request body is over the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        )
    elif isinstance(exc, SuspiciousOperation):
        # Too many form fields or files, and the like: the client's fault, not a bug of ours.
        logger.warning("suspicious request refused: %s", exc)
        exc = ApplicationError(str(exc), code="bad_request")
    if isinstance(exc, ValidationFailed):
        errors = exc.errors or None
        return Response(error_body(exc.message, exc.code, errors), status=exc.status_code)
    if isinstance(exc, ApplicationError):
        body = error_body(exc.message, exc.code)
        body.update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(
            error_body(_first_message(errors) or "Invalid input.", "validation_error", errors), status=400
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        errors = _validation_errors(exc.detail)
        return Response(
            error_body(_first_message(errors) or "Invalid input.", "validation_error", errors), 400
        )
    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(math.ceil(exc.wait))
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
        detail = exc.detail if isinstance(exc.detail, str) else _first_message(exc.detail)
        return Response(error_body(str(detail), code), status=exc.status_code, headers=headers)
    if isinstance(exc, IntegrityError):
        logger.info("integrity error answered as 400: %s", exc)
        return Response(error_body("The request conflicts with existing data.", "conflict"), status=400)
    if isinstance(exc, (BrokerError, RedisConnectionError, RedisTimeoutError)):
        logger.warning("backing service unavailable: %s", exc)
        return Response(
            error_body("A backing service (Redis or the task broker) is unavailable.", "service_unavailable"),
            status=503,
        )
    if isinstance(exc, OperationalError) and is_deadlock(exc):
        logger.warning("transaction aborted to break a deadlock, answered as 503: %s", exc)
        return Response(
            error_body("The request met concurrent changes to the same rows. Try it again.", "try_again"),
            status=503,
            headers={"Retry-After": "1"},
        )
    logger.exception("unhandled error in %s", context.get("view"), exc_info=exc)
    return Response(error_body("Internal server error.", "server_error"), status=500)


def json_error(
    request, message: str, code: str, status_code: int, errors: dict | None = None
) -> JsonResponse:
    """The error envelope outside DRF's views (middleware, Django's error handlers)."""
    body = error_body(message, code, errors)
    body["request_id"] = getattr(request, "request_id", None)
    return JsonResponse(body, status=status_code)


def handler400(request, exception=None):
    # Django answers here for a disallowed Host header and other suspicious requests.
    if isinstance(exception, RequestDataTooBig):
        return json_error(request, "The request body is too large.", "request_too_large", 413)
    return json_error(request, "Bad request.", "bad_request", 400)


def handler404(request, exception=None):
    return json_error(request, "Not found.", "not_found", 404)


def handler500(request):
    return json_error(request, "Internal server error.", "server_error", 500)
