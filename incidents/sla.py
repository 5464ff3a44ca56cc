"""Pure SLA rules: which policy applies to an incident, and where its clocks stand.

No database access: callers pass plain facts (the policies in order, the incident's priority,
service, category and channel, a calendar spec, pause intervals, a time) and get a decision
back. Who the requester is (VIP flag, seniority, department) is deliberately *not* a fact a
policy can look at: everyone gets the same clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from org.business_time import CalendarSpec, Pause, due, elapsed

ZERO = timedelta(0)
# "At risk" (and the "Breaching soon" queue): this much business time or less is left.
AT_RISK_WITHIN = timedelta(hours=4)


class Badge:
    NONE = "none"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"

    LABELS = {
        NONE: "No SLA",
        ON_TRACK: "On track",
        AT_RISK: "At risk",
        BREACHED: "Breached",
        PAUSED: "Paused",
        MET: "Met",
    }


@dataclass(frozen=True)
class PolicyFacts:
    """One SLA policy as plain data. An empty condition set matches anything."""

    id: int
    name: str
    response_target: timedelta
    resolution_target: timedelta
    calendar_id: int | None = None
    priorities: frozenset[int] = frozenset()
    service_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    channels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IncidentFacts:
    """What a policy may be chosen by — and nothing about the requester."""

    priority: int
    service_id: int | None
    category_id: int | None
    channel: str


def policy_matches(policy: PolicyFacts, facts: IncidentFacts) -> bool:
    return (
        (not policy.priorities or facts.priority in policy.priorities)
        and (not policy.service_ids or facts.service_id in policy.service_ids)
        and (not policy.category_ids or facts.category_id in policy.category_ids)
        and (not policy.channels or facts.channel in policy.channels)
    )


def choose_policy(policies: Sequence[PolicyFacts], facts: IncidentFacts) -> PolicyFacts | None:
    """The first policy, in the given order, whose conditions all hold."""
    return next((p for p in policies if policy_matches(p, facts)), None)


@dataclass(frozen=True)
class ClockState:
    """One clock (first response or resolution) at a moment."""

    target: timedelta | None
    due_at: datetime | None = None
    at_risk_at: datetime | None = None
    elapsed: timedelta = ZERO
    stopped: bool = False
    breached: bool = False

    @property
    def remaining(self) -> timedelta | None:
        return None if self.target is None else self.target - self.elapsed


def clock_state(
    spec: CalendarSpec,
    *,
    started_at: datetime,
    target: timedelta | None,
    now: datetime,
    stopped_at: datetime | None = None,
    pauses: Sequence[tuple[datetime, datetime | None]] = (),
) -> ClockState:
    """Where a clock that started at ``started_at`` stands at ``now``. A clock stops at
    ``stopped_at`` (the first response, the resolution). Pauses are ``(start, end)`` with
    ``end`` None for the one still running: it counts up to ``now``. Due instants leave the
    running pause out (they are where the clock will be due if it resumed now). Breached means
    the clock ran past its due instant."""
    if target is None:
        return ClockState(target=None)
    end = min(now, stopped_at) if stopped_at is not None else now
    counted: list[Pause] = [(a, b if b is not None else end) for a, b in pauses]
    closed: list[Pause] = [(a, b) for a, b in pauses if b is not None]
    spent = elapsed(spec, started_at, end, counted)
    due_at = due(spec, started_at, target, closed)
    at_risk_at = due(spec, started_at, max(target - AT_RISK_WITHIN, ZERO), closed)
    # Past the due instant while running (a running pause stops the clock where it began).
    running_until = min([end, *(a for a, b in pauses if b is None)])
    return ClockState(
        target=target,
        due_at=due_at,
        at_risk_at=at_risk_at,
        elapsed=spent,
        stopped=stopped_at is not None and stopped_at <= now,
        breached=running_until > due_at,
    )


@dataclass(frozen=True)
class StoredClock:
    """The stored fields of one clock, enough to judge it without a calendar."""

    target: timedelta | None
    due_at: datetime | None
    at_risk_at: datetime | None
    stopped: bool
    breached_at: datetime | None


def clock_badge(clock: StoredClock, *, paused: bool, now: datetime) -> str:
    if clock.target is None or clock.due_at is None:
        return Badge.NONE
    if clock.breached_at is not None:
        return Badge.BREACHED
    if clock.stopped:
        return Badge.MET
    if paused:
        return Badge.PAUSED
    if now > clock.due_at:
        return Badge.BREACHED
    if clock.at_risk_at is not None and now >= clock.at_risk_at:
        return Badge.AT_RISK
    return Badge.ON_TRACK


_SEVERITY = [Badge.NONE, Badge.MET, Badge.ON_TRACK, Badge.PAUSED, Badge.AT_RISK, Badge.BREACHED]


def overall_badge(response: str, resolution: str) -> str:
    """The badge that says most: a breached or at-risk clock wins over an on-track one."""
    return max(response, resolution, key=_SEVERITY.index)


def remaining_now(
    spec: CalendarSpec,
    *,
    target: timedelta | None,
    elapsed_at_compute: timedelta,
    computed_at: datetime,
    now: datetime,
    running: bool,
) -> timedelta | None:
    """Business time left at ``now`` from what was stored at ``computed_at``: nothing pauses or
    resumes between recomputes (every pause and resume recomputes), so a running clock has
    only spent the business time since then."""
    if target is None:
        return None
    spent = elapsed_at_compute
    if running and now > computed_at:
        spent += elapsed(spec, computed_at, now)
    return target - spent


def stored_clocks(state: Any) -> tuple[StoredClock, StoredClock]:
    """The two clocks of a stored ``IncidentSla`` row (any object with its fields)."""
    response = StoredClock(
        target=state.response_target,
        due_at=state.response_due_at,
        at_risk_at=state.response_at_risk_at,
        stopped=state.responded_at is not None or state.stopped_at is not None,
        breached_at=state.response_breached_at,
    )
    resolution = StoredClock(
        target=state.resolution_target,
        due_at=state.resolution_due_at,
        at_risk_at=state.resolution_at_risk_at,
        stopped=state.stopped_at is not None,
        breached_at=state.resolution_breached_at,
    )
    return response, resolution


def badges(state: Any, now: datetime) -> tuple[str, str, str]:
    """(response, resolution, overall) badges of a stored row at ``now``."""
    paused = state.paused_since is not None
    response, resolution = stored_clocks(state)
    first = clock_badge(response, paused=paused, now=now)
    second = clock_badge(resolution, paused=paused, now=now)
    return first, second, overall_badge(first, second)
