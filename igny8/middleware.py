import uuid

from igny8.logs import request_id_var

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
