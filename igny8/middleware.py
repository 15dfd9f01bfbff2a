import uuid

from igny8.api import json_error
from igny8.logs import request_id_var
from igny8.text import text_problem

REQUEST_ID_HEADER = "X-Request-ID"


def _clean_request_id(value: str | None) -> str:
    # Echo a client's id only when it is short and printable; anything else gets a fresh one.
    if value and len(value) <= 128 and value.isprintable():
        return value
    return str(uuid.uuid4())


class RequestIDMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = _clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class QueryTextMiddleware:
    """Refuse query parameters the database cannot store or compare (a NUL byte) with a 400 envelope.

    Every view filters on some parameter (`run_id`, `function`, `search`); checking them here
    keeps each view from having to.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            for text in (name, *values):
                problem = text_problem(text)
                if problem:
                    return json_error(
                        request,
                        f"The query parameter {name[:100]!r} {problem}.",
                        "validation_error",
                        400,
                        {name[:100]: [f"The value {problem}."]},
                    )
        return self.get_response(request)
