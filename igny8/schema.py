"""The OpenAPI schema as the API really answers: envelopes, error answers, names a person would choose.

drf-spectacular describes serializers; the renderer and the exception handler in `igny8.api` wrap
every answer. `AutoSchema` adds, per operation, the error statuses its view can give (from its
authentication, permissions, parameters, body and the domain errors it declares with `errors()`),
and names operations and tags after the API's paths. `envelope_hook` then wraps each documented
success body the way `EnvelopeRenderer` does and adds the shared `Error` and `ValidationError`
components.
"""

import inspect
import re

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.viewsets import ViewSetMixin

from igny8.errors import ApplicationError

ERROR_CODES_EXTENSION = "x-error-codes"
NULLABLE_DATA_EXTENSION = "x-nullable-data"
# For `extend_schema(extensions=...)`: the success envelope's `data` may be null.
NULLABLE_DATA = {NULLABLE_DATA_EXTENSION: True}
# Strings the API accepts never hold NUL: PostgreSQL cannot store it and the serializers refuse it.
NO_NUL_PATTERN = "^[^\\u0000]*$"
# A required text is trimmed before it is checked, so it needs one character that is not a space.
NOT_BLANK_PATTERN = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"

ERROR_DESCRIPTIONS = {
    400: "Invalid input, or a change the object's current state does not allow.",
    401: "Not authenticated, or the credentials are invalid.",
    403: "Authenticated, but the role does not allow this action.",
    404: "No such object in the caller's account (another account's object answers the same).",
    413: "The request body is too large.",
    415: "The request body's media type is not accepted here.",
    429: "Too many requests; retry after the number of seconds in `Retry-After`.",
    503: "A backing service (Redis or the task broker) is unavailable; nothing was changed.",
}
CRUD_VERBS = {"list", "create", "retrieve", "update", "partial_update", "destroy"}
# Collections under /auth/ are resources of their own; the other auth endpoints keep the prefix.
AUTH_RESOURCES = {"sites", "users"}
UNPREFIXED_APPS = {"planner", "writer"}


def errors(*raised) -> dict:
    """Declare the domain errors an operation answers, for `extend_schema(extensions=errors(...))`.

    Each item is an `ApplicationError` subclass (its status and code are read from it), a
    `(status, code)` pair, or a code string for a 400 raised as `ValidationFailed(code=...)`.
    """
    declared: dict[str, list[str]] = {}
    for item in raised:
        if isinstance(item, type) and issubclass(item, ApplicationError):
            status, code = item.status_code, item.code
        elif isinstance(item, tuple):
            status, code = item
        else:
            status, code = 400, str(item)
        declared.setdefault(str(status), []).append(code)
    return {ERROR_CODES_EXTENSION: declared}


def error_response(status: int, codes: list[str]) -> dict:
    component = "ValidationError" if status == 400 else "Error"
    codes = sorted(set(codes))
    listed = ", ".join(f"`{code}`" for code in codes)
    response = {
        "description": f"{ERROR_DESCRIPTIONS.get(status, 'Error.')} Codes: {listed}.",
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [{"$ref": f"#/components/schemas/{component}"}],
                    "properties": {"code": {"type": "string", "enum": codes}},
                }
            }
        },
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    return response


class AutoSchema(SpectacularAutoSchema):
    def _segments(self) -> list[str]:
        # "/api/v1/planner/keywords/{id}/" -> ["planner", "keywords", "{id}"]
        parts = [part for part in self.path.strip("/").split("/") if part]
        return parts[2:] if parts[:1] == ["api"] else parts

    def get_description(self) -> str:
        # A view without a docstring of its own would show its mixins' notes for developers.
        description = super().get_description()
        inherited = {inspect.getdoc(base) for base in type(self.view).__mro__[1:] if base.__doc__}
        return "" if description in inherited else description

    def get_tags(self) -> list[str]:
        segments = self._segments()
        return segments[:1] or ["api"]

    def get_operation_id(self) -> str:
        segments = self._segments()
        names = [part for part in segments if not part.startswith("{")]
        app = names[0] if names else "api"
        if app in UNPREFIXED_APPS or (app == "auth" and len(names) > 1 and names[1] in AUTH_RESOURCES):
            names = names[1:]
        action = getattr(self.view, "action", None)
        if isinstance(self.view, ViewSetMixin) and action in CRUD_VERBS:
            verb = action
        elif self.method == "GET" and self._is_list_view():
            verb = "list"
        elif segments and segments[-1].startswith("{"):
            verb = {"GET": "retrieve", "PUT": "update", "PATCH": "partial_update", "DELETE": "destroy"}.get(
                self.method, self.method.lower()
            )
        elif self.method == "PATCH" and action not in CRUD_VERBS:
            verb = "partial"
        else:
            verb = ""
        name = "_".join([*names, verb] if verb else names)
        return re.sub(r"[^a-z0-9_]", "_", name.lower())

    def _unwrap_list_serializer(self, serializer, direction):
        # drf-spectacular drops a list serializer's length limits; the server enforces them.
        schema = super()._unwrap_list_serializer(serializer, direction)
        if schema and isinstance(serializer, serializers.ListSerializer):
            if serializer.min_length is not None or not serializer.allow_empty:
                schema["minItems"] = max(serializer.min_length or 0, 0 if serializer.allow_empty else 1)
            if serializer.max_length is not None:
                schema["maxItems"] = serializer.max_length
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.FileField) and not field.allow_empty_file and direction == "request":
            schema["minLength"] = 1
        return schema

    def get_auth(self):
        # An endpoint without authenticators (register, login, refresh) takes no credentials at
        # all; `[{}]` ("optional") would make generated clients demand a token for it.
        if not self.view.get_authenticators():
            return []
        return super().get_auth()

    def _parameter_names(self, operation: dict) -> set[str]:
        return {parameter["name"] for parameter in operation.get("parameters", [])}

    def _requires_authentication(self) -> bool:
        permissions = self.view.get_permissions()
        return bool(self.view.get_authenticators()) and not all(
            isinstance(permission, AllowAny) for permission in permissions
        )

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        declared = operation.pop(ERROR_CODES_EXTENSION, {})
        if operation.pop(NULLABLE_DATA_EXTENSION, False):
            for response in operation["responses"].values():
                response[NULLABLE_DATA_EXTENSION] = True
        statuses: dict[int, list[str]] = {}
        parameters = self._parameter_names(operation)
        has_body = "requestBody" in operation
        if has_body or parameters:
            statuses[400] = ["validation_error"]
        if has_body:
            statuses[400].append("parse_error")
            statuses[413] = ["request_too_large"]
            statuses[415] = ["unsupported_media_type"]
        if "site_id" in parameters:
            statuses.setdefault(400, ["validation_error"]).append("site_id_required")
        if self._requires_authentication():
            statuses[401] = ["not_authenticated", "authentication_failed"]
            statuses[403] = ["permission_denied"]
        if "{" in path or {"site_id", "run_id", "page"} & parameters:
            statuses[404] = ["not_found"]
        if self.view.get_throttles():
            statuses[429] = ["throttled"]
            # Throttling counts requests in the cache (Redis).
            statuses[503] = ["service_unavailable"]
        for status, codes in declared.items():
            statuses.setdefault(int(status), []).extend(codes)
        responses = operation["responses"]
        for status, codes in sorted(statuses.items()):
            responses.setdefault(str(status), error_response(status, codes))
        return operation


def _error_components() -> dict:
    error = {
        "type": "object",
        "description": "Every error answer: `success` is false, `code` is stable, `error` is for people.",
        "properties": {
            "success": {"type": "boolean", "enum": [False]},
            "error": {"type": "string", "description": "A human sentence."},
            "code": {"type": "string", "description": "A stable machine code."},
            "errors": {
                "type": "object",
                "description": "Messages by field name (`non_field_errors` for the whole input).",
                "additionalProperties": {},
            },
            "request_id": {"type": "string"},
        },
        "required": ["success", "error", "code", "request_id"],
        "example": {
            "success": False,
            "error": "Run is not running.",
            "code": "invalid_transition",
            "request_id": "6f1c0a52-3c1e-4bfb-9c55-2f4d9e8c2a11",
        },
    }
    validation = {
        **error,
        "description": "An error answer for invalid input; `errors` names the fields when there are any.",
        "example": {
            "success": False,
            "error": "site_id is required.",
            "code": "site_id_required",
            "errors": {"site_id": ["Required."]},
            "request_id": "6f1c0a52-3c1e-4bfb-9c55-2f4d9e8c2a11",
        },
    }
    return {"Error": error, "ValidationError": validation}


REQUEST_ID = {"type": "string", "description": "Echoes `X-Request-ID`."}


def _is_envelope(schema: dict, components: dict) -> bool:
    ref = schema.get("$ref", "")
    if ref:
        schema = components.get(ref.rsplit("/", 1)[-1], {})
    return "success" in schema.get("properties", {})


def _wrap(schema: dict | None, *, nullable: bool = False) -> dict:
    data = schema if schema is not None else {}
    if nullable:
        data = {"allOf": [data], "nullable": True} if "$ref" in data else {**data, "nullable": True}
    return {
        "type": "object",
        "properties": {
            "success": {"type": "boolean", "enum": [True]},
            "data": data,
            "message": {"type": "string"},
            "request_id": REQUEST_ID,
        },
        "required": ["success", "data", "request_id"],
    }


def _envelope_component(schema: dict, components: dict) -> dict:
    """A `$ref` body gets a shared `<Name>Envelope` component; an inline one is wrapped in place."""
    ref = schema.get("$ref")
    if not ref:
        return _wrap(schema)
    name = f"{ref.rsplit('/', 1)[-1]}Envelope"
    components.setdefault(name, _wrap({"$ref": ref}))
    return {"$ref": f"#/components/schemas/{name}"}


def _wrap_example(value, request_id: str):
    return {"success": True, "data": value, "request_id": request_id}


def _forbid_nul(schema: dict, components: dict, seen: set) -> None:
    """Add the NUL-free pattern to every free-text string the client sends."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _forbid_nul(components.get(name, {}), components, seen)
        return
    if (
        schema.get("type") == "string"
        and not {"enum", "pattern", "format"} & schema.keys()
        and not schema.get("readOnly")
    ):
        schema["pattern"] = NOT_BLANK_PATTERN if schema.get("minLength", 0) >= 1 else NO_NUL_PATTERN
    for key in ("properties",):
        for child in schema.get(key, {}).values():
            _forbid_nul(child, components, seen)
    for key in ("items", "additionalProperties"):
        _forbid_nul(schema.get(key), components, seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for child in schema.get(key, []):
            _forbid_nul(child, components, seen)


def _needs_a_body(schema: dict, components: dict) -> bool:
    """True when no request without a body could be valid: each alternative requires something."""
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "oneOf" in schema:
        return all(_needs_a_body(alternative, components) for alternative in schema["oneOf"])
    return bool(schema.get("required")) or schema.get("minItems", 0) > 0


def envelope_hook(result, generator, request, public):
    """Post-processing: wrap success bodies in the envelope, add the error components, forbid NUL."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(_error_components())
    request_components: set[str] = set()
    example_request_id = "6f1c0a52-3c1e-4bfb-9c55-2f4d9e8c2a11"
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                _forbid_nul(parameter.get("schema", {}), components, request_components)
            body = operation.get("requestBody", {})
            for media in body.get("content", {}).values():
                _forbid_nul(media.get("schema", {}), components, request_components)
            # drf-spectacular cannot tell for a polymorphic body (one keyword or a list of them).
            if body and all(
                _needs_a_body(media.get("schema", {}), components) for media in body["content"].values()
            ):
                body["required"] = True
            for status, response in operation.get("responses", {}).items():
                nullable = response.pop(NULLABLE_DATA_EXTENSION, False)
                if not status.startswith("2"):
                    continue
                for media_type, media in response.get("content", {}).items():
                    if media_type != "application/json":
                        continue
                    schema = media.get("schema")
                    if schema is not None and _is_envelope(schema, components):
                        continue
                    if nullable:
                        media["schema"] = _wrap(schema, nullable=True)
                    else:
                        media["schema"] = _envelope_component(schema or {}, components)
                    for example in media.get("examples", {}).values():
                        if "value" in example:
                            example["value"] = _wrap_example(example["value"], example_request_id)
    return result
