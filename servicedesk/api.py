"""API base: pagination, the one place errors become HTTP, and shared response schemas."""

import io
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


class Pagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


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


_DRF_CODES = {
    RequestTooLarge: "request_too_large",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
    exceptions.ValidationError: "invalid",
}


def _body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error response has the same shape: ``{"code", "message", "details"?}``."""
    if isinstance(exc, DomainError):
        return Response(_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        message = "The request is not valid; see details."
        details: Any = response.data
    else:
        message = str(exc.detail)
        details = None
    response.data = _body(code, message, details)
    return response


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="Stable machine-readable error code."),
        "message": serializers.CharField(help_text="Human-readable explanation."),
        "details": serializers.JSONField(required=False),
    },
)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Documented error responses for ``@extend_schema(responses=...)``."""
    text = {
        400: "Invalid input",
        401: "Not authenticated",
        403: "Not allowed for this user",
        404: "Not found or not visible to this user",
        409: "Conflicts with the current state",
        413: "The request body is too large",
        429: "Too many requests: wait the seconds in Retry-After",
    }
    return {s: OpenApiResponse(ErrorSerializer, description=text[s]) for s in statuses}
