"""The gates registry: every process step that can block or shape work, by a stable id.

Process apps declare their gates at start-up (``AppConfig.ready``) with ``register``; this app
imports no process app. A process app also registers, per subject model, a function returning
the plain facts the bypass process needs (service tier, change risk, parties), so risk and
separation of duties can be computed without importing it (``register_subject``).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .choices import Treatment

# Ids that can never be bypassed, whatever a process app declares: the SLA clock rules, the
# bypass process itself and separation-of-duties checks.
NEVER_BYPASSABLE_PREFIXES = ("incident.sla.", "bypass.")
NEVER_BYPASSABLE_PARTS = ("separation_of_duties", ".sod.")


class GateKind:
    GUARD = "guard"  # a step that refuses (a guard id)
    VALUE = "value"  # a step that computes a value (priority, assignment, queue position)


@dataclass(frozen=True)
class Gate:
    id: str
    process: str
    title: str
    checks: str
    treatments: frozenset[str] = field(default_factory=frozenset)
    bypassable: bool = True
    owner: str = "Process owners"
    kind: str = GateKind.GUARD
    weight: int = 2  # 1 (minor) .. 4 (critical): an input of the risk class
    version: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "process": self.process,
            "title": self.title,
            "checks": self.checks,
            "treatments": sorted(self.treatments),
            "bypassable": self.bypassable,
            "owner": self.owner,
            "kind": self.kind,
            "weight": self.weight,
            "version": self.version,
        }


def never_bypassable(gate_id: str) -> bool:
    return gate_id.startswith(NEVER_BYPASSABLE_PREFIXES) or any(
        part in gate_id for part in NEVER_BYPASSABLE_PARTS
    )


_GATES: dict[str, Gate] = {}


def register(gate: Gate) -> Gate:
    """Declare a gate. A gate that must never be bypassed is stored as not bypassable with no
    treatments, whatever was declared; an unknown treatment is a programming error."""
    unknown = set(gate.treatments) - set(Treatment.values)
    if unknown:
        raise ValueError(f"gate {gate.id!r}: unknown treatments {sorted(unknown)}")
    if not 1 <= gate.weight <= 4:
        raise ValueError(f"gate {gate.id!r}: weight is 1 to 4")
    if never_bypassable(gate.id) or not gate.treatments:
        gate = Gate(**{**gate.__dict__, "bypassable": False, "treatments": frozenset()})
    existing = _GATES.get(gate.id)
    if existing is not None and existing != gate:
        raise ValueError(f"gate {gate.id!r} declared twice, differently")
    _GATES[gate.id] = gate
    return gate


def register_many(gates: Iterable[Gate]) -> None:
    for gate in gates:
        register(gate)


def get(gate_id: str) -> Gate | None:
    return _GATES.get(gate_id)


def all_gates() -> list[Gate]:
    return sorted(_GATES.values(), key=lambda g: g.id)


# --- subjects -------------------------------------------------------------------------------
SubjectFacts = Callable[[int], dict[str, Any] | None]
_SUBJECTS: dict[str, SubjectFacts] = {}


def register_subject(label: str, facts: SubjectFacts) -> None:
    """``label`` is ``app_label.model``; ``facts(pk)`` returns a dict with at least ``ref``
    and ``url``, and where known ``service_id``, ``service_tier``, ``team_id``,
    ``assignee_id``, ``implementer_id``, ``change_risk`` — or None when there is no such row."""
    _SUBJECTS[label] = facts


def subject_types() -> list[str]:
    return sorted(_SUBJECTS)


def subject_facts(label: str, pk: int) -> dict[str, Any] | None:
    facts = _SUBJECTS.get(label)
    return facts(pk) if facts is not None else None


def subject_label(obj: Any) -> str:
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}"
