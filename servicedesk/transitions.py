"""State graphs as data. An app declares its transitions; services ask this helper whether an
action is allowed from a status, then run the transition's named guards in order.

A guard is a plain function ``guard(ctx) -> None`` that raises ``GuardFailed`` (or
``PermissionDenied``) with its own id, so a later bypass can name exactly what it waives.
A transition's ``checks`` are the guards that depend only on who acts, the stored row and the
time — never on the action's input — so pages and the API can ask "what may this person do
now?" (``available``) and refuse before reading a form; its ``guards`` need the input too.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import DomainError, TransitionNotAllowed

Guard = Callable[[Any], None]


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
