"""Pure escalation rules: which levels of which rules apply to an incident, when each falls
due, and whether it is due now. No database access; ``incidents.services.escalation`` applies
the decisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from org.business_time import CalendarSpec, Pause, due

from .choices import EscalationAction, EscalationClock

MAX_LEVELS = 10
MAX_PERCENT = 1000
MAX_MINUTES = 60 * 24 * 60  # sixty days of business minutes


@dataclass(frozen=True)
class Level:
    number: int  # 1-based, in the order written
    actions: tuple[str, ...]
    percent: int | None = None
    minutes: int | None = None


@dataclass(frozen=True)
class RuleFacts:
    id: int
    name: str
    clock: str
    levels: tuple[Level, ...]
    priorities: frozenset[int] = frozenset()
    policy_id: int | None = None
    next_team_id: int | None = None


def parse_levels(raw: Any, *, clock: str, next_team: bool) -> tuple[Level, ...]:
    """Check a rule's levels as written; ``ValueError`` says what is wrong in words."""
    if not isinstance(raw, list) or not raw:
        raise ValueError("Give at least one level, as a list.")
    if len(raw) > MAX_LEVELS:
        raise ValueError(f"A rule has at most {MAX_LEVELS} levels.")
    unit = "minutes" if clock == EscalationClock.UPDATE else "percent"
    other = "percent" if unit == "minutes" else "minutes"
    levels: list[Level] = []
    previous = 0
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"Level {number} must be an object with {unit!r} and 'actions'.")
        unknown = set(item) - {unit, "actions"}
        if other in item:
            raise ValueError(f"Level {number}: this clock's levels use {unit!r}, not {other!r}.")
        if unknown:
            raise ValueError(f"Level {number}: unknown keys {', '.join(sorted(unknown))}.")
        value = item.get(unit)
        limit = MAX_MINUTES if unit == "minutes" else MAX_PERCENT
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
            raise ValueError(f"Level {number}: {unit!r} must be a whole number from 1 to {limit}.")
        if value <= previous:
            raise ValueError(f"Level {number}: thresholds must increase from level to level.")
        previous = value
        actions = item.get("actions")
        if not isinstance(actions, list) or not actions:
            raise ValueError(f"Level {number}: give at least one action.")
        for action in actions:
            if action not in EscalationAction.values:
                raise ValueError(
                    f"Level {number}: unknown action {action!r}; use one of "
                    + ", ".join(EscalationAction.values)
                    + "."
                )
        if len(set(actions)) != len(actions):
            raise ValueError(f"Level {number}: an action is listed twice.")
        if EscalationAction.REASSIGN in actions and not next_team:
            raise ValueError(f"Level {number}: 'reassign' needs the rule's next-tier team.")
        levels.append(
            Level(
                number=number,
                actions=tuple(actions),
                percent=value if unit == "percent" else None,
                minutes=value if unit == "minutes" else None,
            )
        )
    return tuple(levels)


def rule_applies(rule: RuleFacts, *, priority: int, policy_id: int | None) -> bool:
    return (not rule.priorities or priority in rule.priorities) and (
        rule.policy_id is None or rule.policy_id == policy_id
    )


@dataclass(frozen=True)
class ClockFacts:
    """What the levels are measured against, for one incident."""

    started_at: datetime
    response_target: timedelta | None
    resolution_target: timedelta | None
    responded_at: datetime | None
    stopped_at: datetime | None
    paused_since: datetime | None
    closed_pauses: Sequence[Pause]
    last_update_at: datetime


def threshold_at(
    spec: CalendarSpec, rule: RuleFacts, level: Level, facts: ClockFacts
) -> datetime | None:
    """When the level's threshold is reached if the clock keeps running (None: never)."""
    if rule.clock == EscalationClock.UPDATE:
        assert level.minutes is not None
        return due(spec, facts.last_update_at, timedelta(minutes=level.minutes))
    target = (
        facts.response_target if rule.clock == EscalationClock.RESPONSE else facts.resolution_target
    )
    if target is None:
        return None
    assert level.percent is not None
    return due(spec, facts.started_at, target * level.percent / 100, facts.closed_pauses)


def level_state(at: datetime | None, rule: RuleFacts, facts: ClockFacts, now: datetime) -> str:
    """``due`` (apply now), ``later`` (watch ``at``) or ``never`` (the clock stopped first, or
    is paused before reaching it: a paused incident does not escalate)."""
    if at is None:
        return "never"
    stop = facts.responded_at if rule.clock == EscalationClock.RESPONSE else None
    stop = min(filter(None, (stop, facts.stopped_at)), default=None)
    if stop is not None and stop < at:
        return "never"
    if facts.paused_since is not None and facts.paused_since < at:
        return "never"  # until it resumes (resuming recomputes)
    return "due" if at <= now else "later"


@dataclass(frozen=True)
class Decision:
    rule: RuleFacts
    level: Level
    due_at: datetime


def evaluate(
    spec: CalendarSpec,
    rules: Iterable[RuleFacts],
    facts: ClockFacts,
    *,
    priority: int,
    policy_id: int | None,
    applied: set[tuple[int, int]],
    now: datetime,
) -> tuple[list[Decision], datetime | None]:
    """The levels due now (not yet applied), in rule order, and the next instant another falls
    due (None: nothing left to watch)."""
    due_now: list[Decision] = []
    upcoming: list[datetime] = []
    for rule in rules:
        if not rule_applies(rule, priority=priority, policy_id=policy_id):
            continue
        for level in rule.levels:
            if (rule.id, level.number) in applied:
                continue
            at = threshold_at(spec, rule, level, facts)
            state = level_state(at, rule, facts, now)
            if state == "due":
                assert at is not None
                due_now.append(Decision(rule, level, at))
            elif state == "later":
                assert at is not None
                upcoming.append(at)
    return due_now, min(upcoming, default=None)
