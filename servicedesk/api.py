"""API base: pagination, the one place errors become HTTP, and shared response schemas."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError
from .parsers import RequestTooLarge


class Pagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200


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
