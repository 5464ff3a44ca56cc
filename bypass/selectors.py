"""Reads of the bypass process, scoped by who asks: approver groups (managers, change
authority, process owners) and admins see every request; anyone else their own (as requester
or beneficiary)."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from org.choices import Role
from servicedesk.errors import NotFound, ValidationFailed

from . import approvals
from .choices import BAD_OUTCOMES, RATIFICATION_STATES, State, Verdict
from .filtersets import BypassRequestFilterSet
from .models import (
    BreakGlassSuspension,
    BypassEvent,
    BypassItem,
    BypassObligation,
    BypassPolicy,
    BypassRequest,
    BypassReview,
    StandardBypass,
)

OVERSIGHT = frozenset({Role.MANAGER, Role.CHANGE_AUTHORITY, Role.PROCESS_OWNER, Role.ADMIN})


def sees_all(user: Any) -> bool:
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return bool(roles & OVERSIGHT)


def _base(user: Any) -> QuerySet[BypassRequest]:
    qs = BypassRequest.objects.select_related(
        "requester", "beneficiary", "policy", "review"
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
        .filter(state__in=[State.IN_REVIEW, State.AWAITING_REQUESTER, *RATIFICATION_STATES])
        .prefetch_related("decisions")
        .order_by("submitted_at", "id")
    )
    out = []
    for row in rows:
        plan = approvals.Plan.from_dict(row.plan)
        glass = row.state in RATIFICATION_STATES
        if glass and row.ratification:
            continue  # ratified early: nothing more to decide
        verdicts = GLASS_VERDICTS if glass else PLANNED_VERDICTS
        voted = {
            d.approver_id
            for d in row.decisions.all()
            if d.scope_hash == row.scope_hash and d.verdict in verdicts
        }
        if user.pk in plan.approver_ids and user.pk not in voted:
            out.append(row)
    return out


GLASS_VERDICTS = frozenset({Verdict.RATIFY, Verdict.REPUDIATE})
PLANNED_VERDICTS = frozenset({Verdict.APPROVE, Verdict.REJECT, Verdict.REQUEST_INFO})


def standard_list(*, now: Any) -> list[StandardBypass]:
    """Standard bypasses, active first, with their reviewed outcomes and whether a periodic
    review is due."""
    from django.db.models import Count

    rows: list[Any] = list(
        StandardBypass.objects.select_related("owner")
        .annotate(uses=Count("requests"), reviews=Count("requests__review"))
        .order_by("-is_active", "gate_id", "pk")
    )
    bad = dict(
        BypassReview.objects.filter(request__standard__isnull=False, outcome__in=BAD_OUTCOMES)
        .values_list("request__standard_id")
        .annotate(n=Count("pk"))
        .values_list("request__standard_id", "n")
    )
    for row in rows:
        row.bad = bad.get(row.pk, 0)
        row.review_due = row.is_active and row.next_review_at <= now
    return rows


def suspension_list() -> QuerySet[BreakGlassSuspension]:
    return BreakGlassSuspension.objects.select_related("user", "request", "restored_by").order_by(
        "restored_at", "-id"
    )[:100]


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
