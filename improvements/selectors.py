"""Reads of the register, scoped by who asks. Every signed-in person sees the register (it is
where people see what became of what they said), each row knowing whether they voted for it.
Process debt names bypass requests and their reasons, so it is shown only to the gate's
owners, to those who oversee bypasses (managers, change authority, process owners) and to
admins."""

import re
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from bypass.selectors import sees_all
from servicedesk.errors import NotFound, ValidationFailed

from . import access
from .filtersets import ImprovementFilterSet, ProcessDebtFilterSet
from .models import Improvement, ImprovementEvent, ImprovementVote, ProcessDebt

DIGITS = re.compile(r"[0-9]{1,12}")


def _base(user: Any) -> QuerySet[Improvement]:
    return Improvement.objects.select_related("suggested_by", "owner", "service").annotate(
        voted=Exists(ImprovementVote.objects.filter(improvement=OuterRef("pk"), voter=user.pk))
    )


def _filtered(fs_class: Any, qs: QuerySet[Any], filters: Mapping[str, Any] | None, user: Any):
    if not filters:
        return qs
    fs = fs_class(data=filters, queryset=qs, request=SimpleNamespace(user=user))
    if not fs.is_valid():
        raise ValidationFailed("Invalid filter.", details=fs.errors)
    return fs.qs


def improvement_list(
    *, user: Any, filters: Mapping[str, Any] | None = None
) -> QuerySet[Improvement]:
    return _filtered(ImprovementFilterSet, _base(user).order_by("-id"), filters, user)


def improvement_get(*, user: Any, pk: Any) -> Improvement:
    text = str(pk)
    number = int(text) if DIGITS.fullmatch(text) else Improvement.id_from_ref(text)
    row = _base(user).filter(pk=number).first() if number is not None else None
    if row is None:
        raise NotFound(f"No improvement {pk}.", code="improvement.not_found")
    return row


def improvement_evidence(*, improvement: Improvement) -> QuerySet[Any]:
    return improvement.evidence.select_related("added_by").order_by("id")


def improvement_events(*, improvement: Improvement) -> QuerySet[ImprovementEvent]:
    return improvement.events.order_by("id")


def _debt_scope(user: Any) -> QuerySet[ProcessDebt]:
    qs = ProcessDebt.objects.select_related("improvement")
    if sees_all(user):
        return qs
    return qs.filter(owner_group__in=access.group_names(user))


def debt_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[ProcessDebt]:
    return _filtered(ProcessDebtFilterSet, _debt_scope(user).order_by("-id"), filters, user)


def debt_get(*, user: Any, pk: Any) -> ProcessDebt:
    text = str(pk).upper().removeprefix("DEBT-")
    row = _debt_scope(user).filter(pk=int(text)).first() if DIGITS.fullmatch(text) else None
    if row is None:
        raise NotFound(f"No process debt {pk} that you can see.", code="process_debt.not_found")
    return row


def sees_owner_view(user: Any) -> bool:
    return sees_all(user) or bool(access.group_names(user))


def owned_gate_ids(user: Any) -> list[str]:
    """The gates whose owner group this person is in (all gates for process owners/admins)."""
    from bypass import gates

    groups = access.group_names(user)
    steward = access.is_steward(user)
    return [g.id for g in gates.all_gates() if g.bypassable and (steward or g.owner in groups)]


def owner_view(*, user: Any) -> list[dict[str, Any]]:
    """Per gate this person owns: bypass counts, open debt items and open suggestions, side by
    side (a fixed number of queries whatever the number of gates)."""
    from django.db.models import Count

    from bypass import gates
    from bypass.models import BypassItem, GateCounter

    from .choices import OPEN_STATUSES, DebtStatus

    ids = owned_gate_ids(user)
    if not ids:
        return []
    requested = dict(
        BypassItem.objects.filter(gate_id__in=ids)
        .values("gate_id")
        .annotate(n=Count("request_id", distinct=True))
        .values_list("gate_id", "n")
    )
    counted: dict[str, dict[str, int]] = {}
    for row in GateCounter.objects.filter(gate_id__in=ids).values(
        "gate_id", "evaluations", "blocked", "bypassed"
    ):
        totals = counted.setdefault(row["gate_id"], {"evaluations": 0, "blocked": 0, "bypassed": 0})
        for name in ("evaluations", "blocked", "bypassed"):
            totals[name] += row[name]
    debts: dict[str, list[ProcessDebt]] = {}
    for d in ProcessDebt.objects.filter(gate_id__in=ids, status=DebtStatus.OPEN).order_by("-id"):
        debts.setdefault(d.gate_id, []).append(d)
    suggestions: dict[str, list[Improvement]] = {}
    for s in Improvement.objects.filter(gate_id__in=ids, status__in=OPEN_STATUSES).order_by(
        "-votes_count", "-id"
    ):
        suggestions.setdefault(s.gate_id, []).append(s)
    out = []
    for gate_id in ids:
        gate = gates.get(gate_id)
        out.append(
            {
                "gate": gate,
                "requests": requested.get(gate_id, 0),
                "counts": counted.get(gate_id, {"evaluations": 0, "blocked": 0, "bypassed": 0}),
                "debts": debts.get(gate_id, []),
                "suggestions": suggestions.get(gate_id, []),
            }
        )
    out.sort(key=lambda r: (-len(r["debts"]), -r["requests"], r["gate"].id))
    return out


def debt_requests(row: ProcessDebt) -> list[dict[str, Any]]:
    """The requests behind a debt item, their reasons and what their reviews said (the
    suggestions their reviews fed into the register)."""
    from bypass.models import BypassRequest

    requests = list(
        BypassRequest.objects.filter(pk__in=row.request_ids)
        .select_related("requester")
        .order_by("pk")
    )
    keys = [f"bypass-review:{r.pk}" for r in requests]
    reviews = {
        int(i.source_key.split(":")[1]): i for i in Improvement.objects.filter(source_key__in=keys)
    }
    return [{"request": r, "review": reviews.get(r.pk)} for r in requests]
