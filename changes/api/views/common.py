"""Shared pieces of the change endpoints."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from changes.api.serializers import ChangeSerializer
from incidents.api.views.common import SelectorFilters, valid
from servicedesk.api import error_responses

__all__ = ["CHANGE_ID", "SelectorFilters", "change_action", "valid"]


def change_action(summary: str, request: Any = None, *, errors: tuple[int, ...] = ()) -> Any:
    """Schema of a transition: the input, the change back, and the errors it may give."""
    return extend_schema(
        summary=summary,
        request=request,
        parameters=[CHANGE_ID],
        responses={
            200: ChangeSerializer,
            **error_responses(*sorted({401, 403, 404, 409, 412, *errors})),
        },
    )


CHANGE_ID = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The change's id (123) or its reference (CHG-000123).",
    pattern=r"^(\d+|[Cc][Hh][Gg]-?\d+)$",
)
