"""Shared pieces of the incident and problem endpoints."""

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation

from incidents.api.serializers import (
    IncidentSerializer,
    ProblemSerializer,
)
from servicedesk.api import error_responses


class SelectorFilters(DjangoFilterBackend):
    """Documents the list's FilterSet in the schema. The filtering itself happens in the
    selector (``incident_list`` / ``problem_list``), so this backend never filters."""

    def get_filterset_class(self, view: Any, queryset: Any = None) -> Any:
        return super().get_filterset_class(view, queryset) if view.action == "list" else None

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        return queryset


class FileDownloadNegotiation(BaseContentNegotiation):
    """A download answers with the file whatever the client says it accepts."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def incident_action(summary: str, request: Any = None, *, errors: tuple[int, ...] = ()) -> Any:
    """Schema of a transition: the input, the incident back, and the errors it may give."""
    return extend_schema(
        summary=summary,
        request=request,
        responses={
            200: IncidentSerializer,
            **error_responses(*sorted({401, 403, 404, 409, *errors})),
        },
    )


def problem_action(summary: str, request: Any = None, *, errors: tuple[int, ...] = ()) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={
            200: ProblemSerializer,
            **error_responses(*sorted({401, 403, 404, 409, *errors})),
        },
    )


ID_PARAM = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
INCIDENT_ID = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The incident's id (123) or its reference (INC-000123).",
    pattern=r"^(\d+|[Ii][Nn][Cc]-?\d+)$",
)
PROBLEM_ID = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The problem's id (123) or its reference (PRB-000123).",
    pattern=r"^(\d+|[Pp][Rr][Bb]-?\d+)$",
)
