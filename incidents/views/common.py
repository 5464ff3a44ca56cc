"""Helpers shared by the incident and problem pages."""

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
from servicedesk.errors import PermissionDenied
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
