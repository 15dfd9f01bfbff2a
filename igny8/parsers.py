"""The JSON parser of the API, bounded in nesting depth so a hostile document is a 400, never a 500.

The size limit needs nothing here: DRF reads the body through Django's `request.body`, which
enforces DATA_UPLOAD_MAX_MEMORY_SIZE, and the exception handler answers 413 `request_too_large`.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels"


def _depth_exceeds(value, limit: int) -> bool:
    # Iterative, so walking a hostile document cannot exhaust the interpreter's stack either.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in item)
    return False


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
