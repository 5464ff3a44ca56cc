"""API base: the views' shared behaviour, pagination, the one place errors become HTTP, and
shared response schemas.

Every API view derives from ``ApiViewMixin`` (``ApiView``, ``ApiViewSet``,
``ReadOnlyApiViewSet``), which gives it, once for all:

- ``Idempotency-Key`` on every POST (``servicedesk.idempotency``);
- ``If-Match`` on every write: ``self.precondition(obj)`` (also run by ``get_object``) refuses a
  stale version at once and carries the expectation into the service's locked transaction
  (``servicedesk.concurrency``);
- ``ETag`` on every object response that carries ``id`` and ``updated_at``, ``Location`` on
  every 201 whose body carries ``url``;
- unknown query parameters refused with 400 naming them.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import concurrency, idempotency
from .errors import DomainError, PermissionDenied, ValidationFailed
from .pagination import Pagination as Pagination
from .parsers import RequestTooLarge

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PAGE_PARAMS = frozenset({"cursor", "page_size"})
ALWAYS_ALLOWED_PARAMS = frozenset({"format"})

_DRF_CODES = {
    RequestTooLarge: "request.too_large",
    exceptions.NotAuthenticated: "auth.not_authenticated",
    exceptions.AuthenticationFailed: "auth.authentication_failed",
    exceptions.PermissionDenied: "auth.permission_denied",
    exceptions.NotFound: "resource.not_found",
    exceptions.MethodNotAllowed: "request.method_not_allowed",
    exceptions.NotAcceptable: "request.not_acceptable",
    exceptions.UnsupportedMediaType: "request.unsupported_media_type",
    exceptions.Throttled: "request.throttled",
    exceptions.ParseError: "request.malformed",
    exceptions.ValidationError: "request.invalid",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


_body = error_body  # the old private name


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error response has the same shape: ``{"code", "message", "details"?}``."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, OverflowError):  # e.g. an id past SQLite's 64-bit integers in a filter
        return Response(
            error_body("request.out_of_range", "A number in the request is too large."),
            status=400,
        )
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
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "request.error")
    if isinstance(exc, exceptions.ValidationError):
        message = "The request is not valid; see details."
        details: Any = response.data
    else:
        message = str(exc.detail)
        details = None
    response.data = error_body(code, message, details)
    return response


class InputSerializer(serializers.Serializer):
    """Base of every input serializer: a field it does not know is refused with 400
    (``request.unknown_fields``), never silently dropped."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                known = ", ".join(sorted(self.fields)) or "none"
                raise ValidationFailed(
                    f"Unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                    f"Accepted here: {known}.",
                    code="request.unknown_fields",
                    details={name: ["Unknown field."] for name in unknown},
                )
        return super().to_internal_value(data)


class NoInput(InputSerializer):
    """The body of an action that takes no input: empty, or refused naming what was sent."""


def no_input(request: Request) -> None:
    NoInput(data=request.data).is_valid(raise_exception=True)


def _object_tag(data: Any) -> str | None:
    if not isinstance(data, Mapping) or "id" not in data or "updated_at" not in data:
        return None
    updated_at = data["updated_at"]
    if isinstance(updated_at, str):
        updated_at = parse_datetime(updated_at)
    if updated_at is None:
        return None
    return concurrency.version_tag(data["id"], updated_at)


class ApiViewMixin:
    """The kernel's behaviour for every API view (see the module docstring)."""

    #: query parameters a view accepts besides its list FilterSet's and the pagination's
    extra_query_params: frozenset[str] = frozenset()

    # --- request side ----------------------------------------------------------------------
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._reservation: idempotency.Reservation | None = None
        self._if_match_token: Any = None
        if request.method not in SAFE_METHODS and getattr(request.auth, "scope", None) == "read":
            raise PermissionDenied(
                f"This API token is read-only: it may not {request.method} here. Use a "
                "read-write token (create one at /api/v1/tokens/ or on the tokens page) to "
                "make changes.",
                code="auth.token_read_only",
            )
        self._refuse_unknown_query_params(request)
        self.if_match = None
        if request.method not in SAFE_METHODS:
            self.if_match = concurrency.parse_if_match(request.headers.get("If-Match"))
        key = request.headers.get(idempotency.HEADER)
        if request.method == "POST" and key is not None and request.user.is_authenticated:
            self._reservation = idempotency.begin(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path,
                data=request.data,
            )

    def allowed_query_params(self, request: Request) -> frozenset[str]:
        allowed = set(ALWAYS_ALLOWED_PARAMS | self.extra_query_params)
        if request.method == "GET":
            allowed |= PAGE_PARAMS
            filterset_class = getattr(self, "filterset_class", None)
            if filterset_class is not None and getattr(self, "action", "list") == "list":
                allowed |= set(filterset_class.base_filters)
        return frozenset(allowed)

    def _refuse_unknown_query_params(self, request: Request) -> None:
        unknown = sorted(set(request.query_params) - self.allowed_query_params(request))
        if unknown:
            accepted = ", ".join(sorted(self.allowed_query_params(request) - {"format"}))
            raise ValidationFailed(
                f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: "
                f"{', '.join(unknown)}. Accepted here: {accepted or 'none'}.",
                code="request.unknown_parameters",
                details={name: ["Unknown query parameter."] for name in unknown},
            )

    def precondition(self, obj: models.Model) -> None:
        """Honour ``If-Match`` for a write on ``obj``: 412 now if already stale, and the
        service's row lock checks again under the lock."""
        tags = getattr(self, "if_match", None)
        if tags is None:
            return
        concurrency.refuse_if_stale(obj, tags)
        if self._if_match_token is None:
            self._if_match_token = concurrency.expect(obj, tags)

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)  # type: ignore[misc]
        if isinstance(obj, models.Model):
            self.precondition(obj)

    # --- response side ---------------------------------------------------------------------
    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, idempotency.Replay):
            return exc.response
        try:
            return super().handle_exception(exc)  # type: ignore[misc]
        except BaseException:
            # a crash (500): finalize_response will not run, so release the key here, or
            # the client's retry would be told "in progress" until the key expired
            reservation = getattr(self, "_reservation", None)
            if reservation is not None:
                self._reservation = None
                idempotency.release(reservation)
            token = getattr(self, "_if_match_token", None)
            if token is not None:
                concurrency.reset(token)
                self._if_match_token = None
            raise

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        token = getattr(self, "_if_match_token", None)
        if token is not None:
            concurrency.reset(token)
            self._if_match_token = None
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if response.has_header(idempotency.REPLAYED_HEADER):
            return response
        if isinstance(response, Response) and 200 <= response.status_code < 300:
            data = response.data
            tag = _object_tag(data)
            if tag and not response.has_header("ETag"):
                response["ETag"] = tag
            if response.status_code == 201 and isinstance(data, Mapping) and data.get("url"):
                response.setdefault("Location", data["url"])
        reservation = getattr(self, "_reservation", None)
        if reservation is not None:
            self._reservation = None
            idempotency.finish(reservation, response)
        return response


class ApiView(ApiViewMixin, APIView):
    pass


class ApiViewSet(ApiViewMixin, viewsets.GenericViewSet):
    pass


class ReadOnlyApiViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    pass


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.RegexField(
            r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$",
            help_text="Stable machine-readable error code, `<area>.<what>`.",
        ),
        "message": serializers.CharField(help_text="Human-readable explanation."),
        "details": serializers.JSONField(required=False),
    },
)

ERROR_TEXT = {
    400: "Invalid input (unknown fields or query parameters are named in `details`)",
    401: "Not authenticated",
    403: "Not allowed for this user or token",
    404: "Not found or not visible to this user",
    409: "Conflicts with the current state, or an Idempotency-Key in use or reused",
    412: "If-Match named a version that is no longer current",
    413: "Too large",
    415: "The body's media type is not accepted here",
    429: "Too many requests: wait the seconds in Retry-After",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Documented error responses for ``@extend_schema(responses=...)``."""
    return {s: OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[s]) for s in statuses}


IDEMPOTENCY_KEY_PARAM = OpenApiParameter(
    idempotency.HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Send the same key to retry safely: the first successful response is "
    "replayed for 24 hours (same user, same request); another request with it is a 409.",
)
IF_MATCH_PARAM = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag you last read: the write is refused with 412 if the object has "
    "changed since.",
)
