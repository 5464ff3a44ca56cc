"""Helpers shared by the incident and problem pages."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from incidents import access, guards
from incidents.choices import (
    FINAL_STATUSES,
    IncidentStatus,
)
from org.models import User
from servicedesk import pagination
from servicedesk.errors import PermissionDenied, ValidationFailed
from servicedesk.pagination import bounded_count, encode_cursor, keyset_page
from servicedesk.transitions import StateMachine

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
DONE = {IncidentStatus.RESOLVED, IncidentStatus.CLOSED}
FINAL = frozenset(FINAL_STATUSES)


# --- helpers --------------------------------------------------------------------------------
def paginate(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    try:
        size = int(request.GET.get("page_size") or PAGE_SIZE)
    except ValueError:
        size = PAGE_SIZE
    size = max(1, min(size, MAX_PAGE_SIZE))
    return Paginator(queryset, size).get_page(request.GET.get("page"))


@dataclass
class KeysetListPage:
    """A page of a list read by keyset (``?after=`` / ``?before=`` carry the cursor), never by
    OFFSET; ``count`` stops at 1,000 (``capped``: shown as "1,000+")."""

    object_list: list[Any]
    count: int
    capped: bool
    next_token: str | None
    previous_token: str | None

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def count_text(self) -> str:
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("page_size") or PAGE_SIZE)
    except ValueError:
        size = PAGE_SIZE
    return max(1, min(size, MAX_PAGE_SIZE))


def keyset_paginate(
    request: HttpRequest,
    rows: QuerySet[Any] | list[Any],
    *,
    ids_first: bool = True,
    capped: bool = False,
) -> KeysetListPage:
    """One page after ``?after=`` (or before ``?before=``): a query's page by its order's
    keys (an index range scan), or a short list's by position (``capped``: the list holds the
    first of more, its count shown with a "+")."""
    size = _page_size(request)
    token = request.GET.get("after") or request.GET.get("before") or None
    if not isinstance(rows, QuerySet):
        try:
            start = max(0, int(token or 0))
        except ValueError:
            raise ValidationFailed(
                "This page link is not valid: start again from the first page.",
                code="request.invalid_cursor",
            ) from None
        end = start + size
        return KeysetListPage(
            rows[start:end],
            min(len(rows), pagination.COUNT_LIMIT),
            capped or len(rows) > pagination.COUNT_LIMIT,
            str(end) if end < len(rows) else None,
            str(max(0, start - size)) if start > 0 else None,
        )
    count, capped = bounded_count(rows)
    page = keyset_page(rows, token, size, ids_first=ids_first)
    return KeysetListPage(
        page.rows,
        count,
        capped,
        encode_cursor(page.next) if page.next else None,
        encode_cursor(page.previous) if page.previous else None,
    )


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def available_actions(machine: StateMachine, obj: Any, user: User) -> list[str]:
    return machine.available(obj.status, guards.Ctx(obj=obj, actor=user, now=timezone.now()))


def require_agent(user: User, what: str) -> None:
    if not access.is_agent(user):
        raise PermissionDenied(f"{what} is for analysts and managers.")
