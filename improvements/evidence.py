"""What a piece of evidence points at: a ticket, a bypass request (or its review) or a debt
item, resolved for the person who links it (they must be able to see it; a 404 never tells
them it exists). The process apps are read through their own selectors; none imports this."""

import re
from dataclasses import dataclass
from typing import Any

from django.http import Http404

from servicedesk.errors import NotFound, ValidationFailed

from .choices import EvidenceKind


@dataclass(frozen=True)
class Target:
    kind: str
    object_id: int
    ref: str
    url: str


def _incident(user: Any, pk: int) -> Target:
    from incidents.selectors import incident_get

    row = incident_get(user=user, pk=pk, people=False)
    return Target(EvidenceKind.INCIDENT, row.pk, row.ref, f"/incidents/{row.pk}/")


def _problem(user: Any, pk: int) -> Target:
    from incidents.selectors import problem_get

    row = problem_get(user=user, pk=pk)
    return Target(EvidenceKind.PROBLEM, row.pk, row.ref, f"/problems/{row.pk}/")


def _change(user: Any, pk: int) -> Target:
    from changes.selectors import change_get

    row = change_get(user=user, pk=pk)
    return Target(EvidenceKind.CHANGE, row.pk, row.ref, f"/changes/{row.pk}/")


def _bypass(kind: str) -> Any:
    def resolve(user: Any, pk: int) -> Target:
        from bypass.selectors import bypass_get

        row = bypass_get(user=user, pk=pk)
        return Target(kind, row.pk, row.ref, f"/bypass/{row.pk}/")

    return resolve


def _debt(user: Any, pk: int) -> Target:
    from .selectors import debt_get

    row = debt_get(user=user, pk=pk)
    return Target(EvidenceKind.PROCESS_DEBT, row.pk, row.ref, f"/improvements/debt/{row.pk}/")


_RESOLVERS: dict[str, Any] = {
    EvidenceKind.INCIDENT: _incident,
    EvidenceKind.PROBLEM: _problem,
    EvidenceKind.CHANGE: _change,
    EvidenceKind.BYPASS_REQUEST: _bypass(EvidenceKind.BYPASS_REQUEST),
    EvidenceKind.BYPASS_REVIEW: _bypass(EvidenceKind.BYPASS_REVIEW),
    EvidenceKind.PROCESS_DEBT: _debt,
}


def parse(text: str) -> tuple[str, int]:
    """``incident:42`` → (``incident``, 42); anything else is a 400."""
    kind, _, pk = str(text or "").partition(":")
    if kind not in EvidenceKind.values or not re.fullmatch(r"[0-9]{1,12}", pk):
        raise ValidationFailed(
            f"Evidence {text!r} is not understood: use kind:id, e.g. incident:42 "
            f"(kinds: {', '.join(EvidenceKind.values)}).",
            details={"field": "evidence"},
        )
    return kind, int(pk)


def resolve(*, user: Any, kind: str, object_id: int) -> Target:
    try:
        return _RESOLVERS[kind](user, object_id)
    except (Http404, NotFound):
        label = EvidenceKind(kind).label.lower()
        raise NotFound(
            f"No {label} {object_id} that you can see.", code="improvement.evidence_not_found"
        ) from None
