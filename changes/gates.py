"""The change process's gates, declared to the bypass registry at start-up from the named
guards in ``guards.GUARDS``, with the treatments each allows, and the facts the bypass process
may read about a change (it imports nothing from this app)."""

from typing import Any

from bypass import gates
from bypass.choices import Treatment as T
from bypass.gates import Gate

from .guards import GUARDS

OWNER = "Change authority"

# guard id -> (treatments, weight); a guard not listed is declared but not bypassable.
BYPASSABLE: dict[str, tuple[frozenset[str], int]] = {
    "change.model.selection": (frozenset({T.SUBSTITUTE}), 2),
    "change.required.backout_plan": (frozenset({T.DEFER, T.MITIGATE}), 2),
    "change.required.test_evidence": (frozenset({T.DEFER, T.MITIGATE}), 2),
    "change.required.risk_assessment": (frozenset({T.DEFER}), 3),
    "change.normal.lead_time": (frozenset({T.WAIVE_FIELD, T.SKIP}), 2),
    "change.normal.peer_review": (frozenset({T.SKIP, T.SUBSTITUTE}), 2),
    "change.normal.cab_authorization": (frozenset({T.SUBSTITUTE, T.ADD_STEP}), 3),
    "change.schedule.freeze": (frozenset({T.WAIVE_FIELD, T.SKIP}), 3),
    "change.schedule.conflict_check": (frozenset({T.SKIP}), 2),
    "change.implement.window": (frozenset({T.OVERRIDE, T.SKIP}), 2),
}


def _gates() -> list[Gate]:
    out = []
    for spec in GUARDS.values():
        treatments, weight = BYPASSABLE.get(spec.id, (frozenset(), 2))
        out.append(
            Gate(
                spec.id,
                "change",
                spec.step,
                spec.description,
                treatments,
                bypassable=bool(treatments),
                weight=weight,
                owner=OWNER,
            )
        )
    return out


def facts(pk: int) -> dict[str, Any] | None:
    from .models import Change

    row = Change.objects.filter(pk=pk).prefetch_related("services").first()
    if row is None:
        return None
    services = sorted(row.services.all(), key=lambda s: (s.tier, s.pk))
    first = services[0] if services else None
    return {
        "ref": row.ref,
        "url": f"/changes/{row.pk}/",
        "service_id": first.pk if first else None,
        "service_tier": row.service_tier or (first.tier if first else None),
        "team_id": row.owner_team_id,
        "implementer_id": row.implementer_id,
        "change_risk": row.risk_class or None,
    }


def declare() -> None:
    gates.register_many(_gates())
    gates.register_subject("changes.change", facts)
