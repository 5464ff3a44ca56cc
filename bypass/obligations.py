"""Obligations a used bypass leaves on its subject: a deferred step (to be done by the item's
deadline) or an added one-time step. Each open obligation blocks closing or resolving the
subject through the gate ``bypass.obligations.open`` — itself a gate, never bypassable — which
the process apps put on those transitions (``refuse_if_open``). Reads and the creation at use
time live here; marking one done is the service ``bypass_obligation_done``."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from servicedesk.errors import GuardFailed

from . import gates, ledger
from .choices import Treatment
from .models import BypassItem, BypassObligation, BypassRequest

GATE = "bypass.obligations.open"
KINDS = (Treatment.DEFER, Treatment.ADD_STEP)


def text_for(item: BypassItem) -> str:
    if item.treatment == Treatment.ADD_STEP:
        return str((item.value or {}).get("value", ""))[:500]
    gate = gates.get(item.gate_id)
    return f"Deferred step: {gate.title if gate else item.gate_id}"[:500]


def create_for_use(
    *, request: BypassRequest, item: BypassItem, subject: Any, actor: Any, now: datetime
) -> BypassObligation | None:
    """At the use of a DEFER or ADD_STEP item (in the use's transaction): the obligation, with
    its fact in the ledger. Once per item."""
    if item.treatment not in KINDS or BypassObligation.objects.filter(item=item).exists():
        return None
    obligation = BypassObligation.objects.create(
        request=request,
        item=item,
        kind=item.treatment,
        gate_id=item.gate_id,
        subject_type=subject.type,
        subject_id=subject.id,
        subject_ref=subject.ref,
        text=text_for(item),
        due_at=item.deadline,
        created_at=now,
    )
    ledger.append(
        "bypass.obligation_created",
        request=request,
        actor=actor,
        payload={
            "obligation": obligation.pk,
            "kind": obligation.kind,
            "gate": obligation.gate_id,
            "subject": obligation.subject_ref,
            "text": obligation.text,
            "due_at": obligation.due_at.isoformat() if obligation.due_at else None,
        },
    )
    return obligation


def open_for(subject_type: str, subject_id: int) -> QuerySet[BypassObligation]:
    return BypassObligation.objects.filter(
        subject_type=subject_type, subject_id=subject_id, done_at=None
    ).select_related("request")


def refuse_if_open(obj: Any) -> None:
    """The guard body: raises while the subject has an open obligation."""
    meta = obj._meta
    rows = list(open_for(f"{meta.app_label}.{meta.model_name}", int(obj.pk)))
    if not rows:
        return
    listed = "; ".join(f"{o.text} ({o.request.ref})" for o in rows)
    raise GuardFailed(
        f"{getattr(obj, 'ref', obj.pk)} has {len(rows)} open bypass "
        f"obligation{'s' if len(rows) != 1 else ''} to do first: {listed}.",
        guard=GATE,
        details={"obligations": [o.pk for o in rows]},
    )


def overdue(*, now: datetime, owner_groups: set[str] | None = None) -> list[BypassObligation]:
    """Open obligations past their deadline; with ``owner_groups``, only for gates owned by
    one of those groups (what the gate owner sees)."""
    rows = list(
        BypassObligation.objects.filter(done_at=None, due_at__lt=now)
        .select_related("request")
        .order_by("due_at", "pk")[:200]
    )
    if owner_groups is None:
        return rows
    return [
        o for o in rows if (gate := gates.get(o.gate_id)) is not None and gate.owner in owner_groups
    ]
