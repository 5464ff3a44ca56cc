"""State graphs as data. An app declares its transitions; services ask this helper whether an
action is allowed from a status, then run the transition's named guards in order.

A guard is a plain function ``guard(ctx) -> None`` that raises ``GuardFailed`` (or
``PermissionDenied``) with its own id, so a later bypass can name exactly what it waives.
A transition's ``checks`` are the guards that depend only on who acts, the stored row and the
time — never on the action's input — so pages and the API can ask "what may this person do
now?" (``available``) and refuse before reading a form; its ``guards`` need the input too.

A guard named with ``gate(id)`` is a gate: ``run_gates`` sends it through the gatekeeper that
the bypass app installs at start-up (``set_gatekeeper``) — one function for incidents and
changes alike, which always evaluates and counts the gate and lets an approved bypass through.
The kernel imports no app: without a gatekeeper, guards simply run.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import DomainError, TransitionNotAllowed

Guard = Callable[[Any], None]
# (gate id, ctx, guard) -> the bypass used when the guard refused but a bypass let it pass
Gatekeeper = Callable[[str, Any, Guard], dict[str, Any] | None]
_gatekeeper: list[Gatekeeper] = []


def gate(gate_id: str) -> Callable[[Guard], Guard]:
    """Name a guard by the id of the process step (gate) it enforces."""

    def name(fn: Guard) -> Guard:
        fn.guard_id = gate_id  # type: ignore[attr-defined]
        return fn

    return name


def gate_id_of(guard: Guard) -> str | None:
    return getattr(guard, "guard_id", None)


def set_gatekeeper(keeper: Gatekeeper | None) -> None:
    """Install (or with None remove) the one function every gate goes through."""
    _gatekeeper.clear()
    if keeper is not None:
        _gatekeeper.append(keeper)


def pass_guard(guard: Guard, ctx: Any) -> dict[str, Any] | None:
    """Run one guard, through the gatekeeper when it is a named gate."""
    gate_id = gate_id_of(guard)
    if gate_id is None or not _gatekeeper:
        guard(ctx)
        return None
    return _gatekeeper[0](gate_id, ctx, guard)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    checks: tuple[Guard, ...] = field(default=())
    guards: tuple[Guard, ...] = field(default=())
    label: str = ""


class StateMachine:
    def __init__(self, name: str, transitions: Iterable[Transition], labels: Mapping[str, str]):
        self.name = name
        self.transitions: dict[str, Transition] = {}
        for transition in transitions:
            if transition.action in self.transitions:
                raise ValueError(f"duplicate action {transition.action!r} in {name}")
            self.transitions[transition.action] = transition
        self.labels = dict(labels)

    def get(self, action: str) -> Transition:
        return self.transitions[action]

    def allows(self, status: str, action: str) -> bool:
        transition = self.transitions.get(action)
        return transition is not None and status in transition.sources

    def check(self, status: str, action: str) -> Transition:
        """The transition for ``action`` from ``status``, or ``TransitionNotAllowed`` (409)."""
        transition = self.transitions.get(action)
        if transition is None:
            raise TransitionNotAllowed(f"Unknown {self.name} action {action!r}.")
        if status not in transition.sources:
            raise TransitionNotAllowed(
                self.refusal_text(status, action), details={"status": status, "action": action}
            )
        return transition

    def refusal_text(self, status: str, action: str) -> str:
        """The whole sentence a person reads when ``action`` is not possible from ``status``:
        "Cannot start an incident that is resolved." """
        transition = self.transitions[action]
        article = "an" if self.name[:1].lower() in "aeiou" else "a"
        state = self.labels.get(status, status).lower()
        return f"Cannot {transition.label or action} {article} {self.name} that is {state}."

    def actions_from(self, status: str) -> list[Transition]:
        return [t for t in self.transitions.values() if status in t.sources]

    def pairs(self) -> set[tuple[str, str]]:
        """Every allowed (from, to) status pair."""
        return {(s, t.target) for t in self.transitions.values() for s in t.sources}

    def run_checks(self, transition: Transition, ctx: Any) -> None:
        for check in transition.checks:
            check(ctx)

    def run_guards(self, transition: Transition, ctx: Any) -> None:
        """Every check, then every input guard, in order."""
        self.run_checks(transition, ctx)
        for guard in transition.guards:
            guard(ctx)

    def run_gates(self, transition: Transition, ctx: Any) -> list[dict[str, Any]]:
        """Every check, then every input guard, each named one through the gatekeeper.
        Returns the bypasses used (gate, bypass ref, what the gate said, ledger receipt)."""
        used = []
        for guard in (*transition.checks, *transition.guards):
            bypass = pass_guard(guard, ctx)
            if bypass is not None:
                used.append(bypass)
        return used

    def refusal(self, status: str, action: str, ctx: Any) -> DomainError | None:
        """Why ``action`` is refused before any input is read (state or checks), or None."""
        try:
            self.run_checks(self.check(status, action), ctx)
        except DomainError as exc:
            return exc
        return None

    def available(self, status: str, ctx: Any) -> list[str]:
        """The actions this actor may take from ``status`` now (input still to be validated)."""
        return [
            t.action
            for t in self.actions_from(status)
            if self.refusal(status, t.action, ctx) is None
        ]
