"""Reads of the bypass process, scoped by who asks: approver groups (managers, change
authority, process owners) and admins see every request; anyone else their own (as requester
or beneficiary)."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from org.choices import Role
from servicedesk.errors import NotFound, ValidationFailed

from . import approvals
from .choices import State
from .filtersets import BypassRequestFilterSet
from .models import BypassEvent, BypassItem, BypassObligation, BypassPolicy, BypassRequest

OVERSIGHT = frozenset({Role.MANAGER, Role.CHANGE_AUTHORITY, Role.PROCESS_OWNER, Role.ADMIN})


def sees_all(user: Any) -> bool:
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return bool(roles & OVERSIGHT)


def _base(user: Any) -> QuerySet[BypassRequest]:
    qs = BypassRequest.objects.select_related(
        "requester", "beneficiary", "policy"
    ).prefetch_related(Prefetch("items", queryset=BypassItem.objects.order_by("position")))
    if sees_all(user):
        return qs
    return qs.filter(Q(requester=user) | Q(beneficiary=user))


def bypass_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[BypassRequest]:
    qs = _base(user).order_by("-id")
    if filters:
        fs = BypassRequestFilterSet(data=filters, queryset=qs)
        if not fs.is_valid():
            raise ValidationFailed("Invalid filter.", details=fs.errors)
        qs = fs.qs
    return qs


def bypass_get(*, user: Any, pk: Any) -> BypassRequest:
    text = str(pk).upper().removeprefix("BYP-")
    if not text.isdigit() or len(text) > 12:
        raise NotFound("No such bypass request.", code="bypass.not_found")
    row = _base(user).filter(pk=int(text)).first()
    if row is None:
        raise NotFound("No such bypass request.", code="bypass.not_found")
    return row


def bypass_inbox(*, user: Any) -> list[BypassRequest]:
    """Requests in review where this person is an eligible approver who has not voted on the
    current scope."""
    rows = (
        _base(user)
        .filter(state__in=[State.IN_REVIEW, State.AWAITING_REQUESTER])
        .prefetch_related("decisions")
        .order_by("submitted_at", "id")
    )
    out = []
    for row in rows:
        plan = approvals.Plan.from_dict(row.plan)
        voted = {d.approver_id for d in row.decisions.all() if d.scope_hash == row.scope_hash}
        if user.pk in plan.approver_ids and user.pk not in voted:
            out.append(row)
    return out


def bypass_events(request: BypassRequest) -> QuerySet[BypassEvent]:
    return request.events.select_related("actor").order_by("seq")


def policy_list() -> QuerySet[BypassPolicy]:
    return BypassPolicy.objects.order_by("gate_id", "risk_class", "-version")


def ledger_list() -> QuerySet[BypassEvent]:
    return BypassEvent.objects.select_related("request").order_by("-seq")


def obligation_list(*, user: Any, overdue_at: Any = None) -> QuerySet[BypassObligation]:
    """Obligations left by used bypasses: all for oversight, else those of your own requests
    (as requester or beneficiary); with ``overdue_at``, only open ones past their deadline."""
    qs = BypassObligation.objects.select_related("request", "done_by").order_by("due_at", "pk")
    if not sees_all(user):
        qs = qs.filter(Q(request__requester=user) | Q(request__beneficiary=user))
    if overdue_at is not None:
        qs = qs.filter(done_at=None, due_at__lt=overdue_at)
    return qs


def obligation_get(*, user: Any, pk: Any) -> BypassObligation:
    row = obligation_list(user=user).filter(pk=pk).first() if str(pk).isdigit() else None
    if row is None:
        raise NotFound(f"No bypass obligation {pk}.", code="bypass.obligation.not_found")
    return row
