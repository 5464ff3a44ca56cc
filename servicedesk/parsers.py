"""Request parsers of the API, with bounds (kept apart from ``servicedesk.api``: DRF's views
module reads the parser setting when it is imported)."""

import io
from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request.too_large"


JSON_MAX_DEPTH = 32


def _too_deep(data: Any, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether parsed JSON nests deeper than ``limit`` (checked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with bounds: at most ``REQUEST_MAX_BYTES`` read (413 past that, also
    for bodies sent without a Content-Length) and at most ``JSON_MAX_DEPTH`` levels of nesting
    (deeper input is a 400, never a recursion error)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        limit = int(settings.REQUEST_MAX_BYTES)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit:,} bytes.")
        too_deep = exceptions.ParseError(
            f"The JSON is nested more than {JSON_MAX_DEPTH} levels deep."
        )
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if _too_deep(data):
            raise too_deep
        return data
