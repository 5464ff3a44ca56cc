"""The writers of SLA state: choose the policy, run the clocks on the right calendar, open and
close pause intervals, record breaches (once, never undone) and tell the escalation sweep when
to look next. Called by the incident services inside their transaction, with the incident row
already locked, on every change the clocks depend on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from incidents.choices import OPEN_STATUSES
from incidents.escalation import ClockFacts, RuleFacts, parse_levels
from incidents.escalation import evaluate as evaluate_escalations
from incidents.models import (
    Escalation,
    EscalationRule,
    Incident,
    IncidentEvent,
    IncidentSla,
    ResolutionTarget,
    SlaPause,
    SlaPolicy,
)
from incidents.sla import IncidentFacts, PolicyFacts, choose_policy, clock_state
from org.business_time import CalendarSpec
from org.models import BusinessCalendar
from servicedesk import clock

from .events import incident_event

ALWAYS = CalendarSpec.always("UTC")


@dataclass
class SlaConfig:
    """Policies, escalation rules and calendars, read once per service call or sweep batch."""

    policies: list[PolicyFacts]
    rules: list[RuleFacts]
    fallback_targets: dict[int, timedelta]
    default_calendar_id: int | None
    specs: dict[int, CalendarSpec] = field(default_factory=dict)

    def spec(self, calendar_id: int | None) -> CalendarSpec:
        if calendar_id is None:
            return ALWAYS
        spec = self.specs.get(calendar_id)
        if spec is None:
            calendar = BusinessCalendar.objects.prefetch_related("hours", "holidays").get(
                pk=calendar_id
            )
            spec = self.specs[calendar_id] = CalendarSpec.from_calendar(calendar)
        return spec


def load_config() -> SlaConfig:
    policies = [
        policy_facts(p)
        for p in SlaPolicy.objects.filter(is_active=True).prefetch_related("services", "categories")
    ]
    rules = []
    for rule in EscalationRule.objects.filter(is_active=True):
        try:
            rules.append(rule_facts(rule))
        except ValueError:
            continue  # rules are validated when saved; a broken one (admin-edited) is skipped
    default = BusinessCalendar.objects.filter(is_default=True).values_list("pk", flat=True)
    return SlaConfig(
        policies=policies,
        rules=rules,
        fallback_targets={t.priority: t.resolve_within for t in ResolutionTarget.objects.all()},
        default_calendar_id=next(iter(default), None),
    )


def policy_facts(policy: SlaPolicy) -> PolicyFacts:
    return PolicyFacts(
        id=policy.pk,
        name=policy.name,
        response_target=policy.response_target,
        resolution_target=policy.resolution_target,
        calendar_id=policy.calendar_id,
        priorities=frozenset(int(p) for p in policy.priorities or ()),
        service_ids=frozenset(s.pk for s in policy.services.all()),
        category_ids=frozenset(c.pk for c in policy.categories.all()),
        channels=frozenset(policy.channels or ()),
    )


def rule_facts(rule: EscalationRule) -> RuleFacts:
    return RuleFacts(
        id=rule.pk,
        name=rule.name,
        clock=rule.clock,
        levels=parse_levels(rule.levels, clock=rule.clock, next_team=rule.next_team_id is not None),
        priorities=frozenset(int(p) for p in rule.priorities or ()),
        policy_id=rule.policy_id,
        next_team_id=rule.next_team_id,
    )


def _calendar_id(incident: Incident, policy: PolicyFacts | None, config: SlaConfig) -> int | None:
    """The policy's calendar, else the service's (or its owner team's), else the default."""
    if policy is not None and policy.calendar_id is not None:
        return policy.calendar_id
    service = incident.service
    if service is not None:
        if service.calendar_id is not None:
            return service.calendar_id
        team_calendar = service.owner_team.calendar_id if service.owner_team_id else None
        if team_calendar is not None:
            return team_calendar
    return config.default_calendar_id


def _pauses(incident: Incident) -> list[tuple[datetime, datetime | None]]:
    return list(SlaPause.objects.filter(incident=incident).values_list("started_at", "ended_at"))


def sla_pause_start(*, incident: Incident, reason: str, now: datetime) -> None:
    """Open a pause (the incident went pending); a pause already open stays as it is."""
    if SlaPause.objects.filter(incident=incident, ended_at__isnull=True).exists():
        return
    waiting_on = incident.requester.name if reason == "requester" else ""
    SlaPause.objects.create(incident=incident, reason=reason, waiting_on=waiting_on, started_at=now)


def sla_pause_end(*, incident: Incident, now: datetime) -> None:
    SlaPause.objects.filter(incident=incident, ended_at__isnull=True).update(ended_at=now)


def sla_refresh(
    *,
    incident: Incident,
    now: datetime | None = None,
    restart: bool = False,
    config: SlaConfig | None = None,
    actor: Any = None,
) -> IncidentSla:
    """Recompute and store the incident's SLA state; record a breach event the first time a
    clock is found breached. ``restart`` starts a fresh resolution clock (a reopen). Call with
    the incident row locked, after the change the clocks depend on has been applied."""
    from org.services import system_actor

    now = now or clock.now()
    config = config or load_config()
    state = IncidentSla.objects.select_for_update().filter(incident=incident).first()
    if state is None:
        state = IncidentSla(incident=incident, started_at=incident.created_at)
    pauses = list(
        SlaPause.objects.filter(incident=incident).values_list("started_at", "ended_at", "reason")
    )
    applied = (
        set(Escalation.objects.filter(incident=incident).values_list("rule_id", "level"))
        if config.rules and incident.status in OPEN_STATUSES
        else set()
    )
    breaches, due_changed = sla_compute(
        incident,
        state,
        pauses=pauses,
        applied=applied,
        last_update=lambda: last_update_at(incident),
        config=config,
        now=now,
        restart=restart,
    )
    state.save()
    if due_changed:
        Incident.objects.filter(pk=incident.pk).update(due_at=incident.due_at)
    for event in breach_events(state, breaches):
        incident_event(incident, actor=actor or system_actor(), **event)
    return state


def sla_basis(
    incident: Incident, config: SlaConfig
) -> tuple[PolicyFacts | None, int | None, timedelta | None, timedelta | None]:
    """What the incident's clocks run by now: the policy, the calendar, and the response and
    resolution targets (without a policy, the priority's fallback resolution target)."""
    facts = IncidentFacts(
        priority=incident.priority,
        service_id=incident.service_id,
        category_id=incident.category_id,
        channel=incident.channel,
    )
    policy = choose_policy(config.policies, facts)
    calendar_id = _calendar_id(incident, policy, config)
    if policy is not None:
        return policy, calendar_id, policy.response_target, policy.resolution_target
    return None, calendar_id, None, config.fallback_targets.get(incident.priority)


def sla_compute(
    incident: Incident,
    state: IncidentSla,
    *,
    pauses: list[tuple[datetime, datetime | None, str]],
    applied: set[tuple[int, int]],
    last_update: Callable[[], datetime],
    config: SlaConfig,
    now: datetime,
    restart: bool = False,
) -> tuple[list[tuple[str, Any]], bool]:
    """The pure part of ``sla_refresh``: recompute ``state`` (not saved) from what was read.
    Returns the breaches to record and whether ``incident.due_at`` changed (set on it)."""
    policy, calendar_id, response_target, resolution_target = sla_basis(incident, config)
    if restart:
        state.started_at = now
    spec = config.spec(calendar_id)
    kept = [row for row in pauses if row[1] is None or row[1] > state.started_at]
    intervals = [(a, b) for a, b, _reason in kept]
    open_row = next((row for row in kept if row[1] is None), None)
    open_pause = open_row[0] if open_row else None
    stopped_at = None
    if incident.status not in OPEN_STATUSES:
        stopped_at = incident.resolved_at or incident.closed_at or now
    responded_at = incident.first_response_at
    response = clock_state(
        spec,
        started_at=incident.created_at,
        target=response_target,
        now=now,
        stopped_at=responded_at or stopped_at,
        pauses=intervals,
    )
    resolution = clock_state(
        spec,
        started_at=state.started_at,
        target=resolution_target,
        now=now,
        stopped_at=stopped_at,
        pauses=intervals,
    )
    state.policy_id = policy.id if policy else None
    state.policy_name = policy.name if policy else ""
    state.calendar_id = calendar_id
    state.response_target = response_target
    state.resolution_target = resolution_target
    state.response_due_at = response.due_at
    state.resolution_due_at = resolution.due_at
    state.response_at_risk_at = response.at_risk_at
    state.resolution_at_risk_at = resolution.at_risk_at
    state.response_elapsed = response.elapsed
    state.resolution_elapsed = resolution.elapsed
    state.responded_at = responded_at
    state.stopped_at = stopped_at
    state.paused_since = open_pause
    state.pause_reason = open_row[2] if open_row else ""
    state.computed_at = now
    breaches: list[tuple[str, Any]] = []
    if response.breached and state.response_breached_at is None:
        state.response_breached_at = now if responded_at is None else responded_at
        breaches.append(("response", response))
    if resolution.breached and state.resolution_breached_at is None:
        state.resolution_breached_at = stopped_at or now
        breaches.append(("resolution", resolution))
    state.next_check_at = _next_check(
        incident,
        state,
        config,
        spec,
        policy,
        intervals,
        response,
        resolution,
        now,
        applied=applied,
        last_update=last_update,
    )
    due_changed = incident.due_at != resolution.due_at and resolution.due_at is not None
    if due_changed:
        incident.due_at = resolution.due_at
    return breaches, due_changed


def breach_events(state: IncidentSla, breaches: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The ``incident_event`` keyword arguments (all but the actor) of each breach."""
    return [
        {
            "type": "incident.sla_breached",
            "internal": True,
            "reason": f"The {which} target of {state.policy_name or 'the default SLA'} was missed.",
            "payload": {
                "clock": which,
                "policy_id": state.policy_id,
                "policy": state.policy_name,
                "target_seconds": int(clock_.target.total_seconds()) if clock_.target else None,
                "due_at": clock_.due_at.isoformat() if clock_.due_at else None,
            },
        }
        for which, clock_ in breaches
    ]


def _next_check(
    incident: Incident,
    state: IncidentSla,
    config: SlaConfig,
    spec: CalendarSpec,
    policy: PolicyFacts | None,
    pauses: list[tuple[datetime, datetime | None]],
    response: Any,
    resolution: Any,
    now: datetime,
    *,
    applied: set[tuple[int, int]],
    last_update: Callable[[], datetime],
) -> datetime | None:
    """When the sweep must look again: the next breach or escalation level; None when the
    incident is no longer open (closed incidents never enter the sweep's index)."""
    if incident.status not in OPEN_STATUSES:
        return None
    candidates = []
    if state.paused_since is None:
        if state.responded_at is None and state.response_breached_at is None and response.due_at:
            candidates.append(response.due_at)
        if state.resolution_breached_at is None and resolution.due_at:
            candidates.append(resolution.due_at)
    if not config.rules:
        state.escalation_context = None  # type: ignore[attr-defined]
        return min(candidates, default=None)
    facts = escalation_facts(incident, state, pauses, last_update=last_update())
    context = EscalationContext(
        spec=spec,
        facts=facts,
        policy_id=policy.id if policy else None,
        applied=applied,
        breach_candidates=list(candidates),
    )
    due_now, upcoming = context.evaluate(config, incident.priority, now)
    context.due_now = due_now
    state.escalation_context = context  # type: ignore[attr-defined]
    if due_now:
        candidates.append(now)  # picked up by the next sweep
    if upcoming is not None:
        candidates.append(upcoming)
    return min(candidates, default=None)


@dataclass
class EscalationContext:
    """What ``sla_refresh`` read to judge escalations, kept for the sweep that applies them
    (so it reads nothing twice)."""

    spec: CalendarSpec
    facts: ClockFacts
    policy_id: int | None
    applied: set[tuple[int, int]]
    breach_candidates: list[datetime]
    due_now: list[Any] = field(default_factory=list)

    def evaluate(self, config: SlaConfig, priority: int, now: datetime) -> tuple[list[Any], Any]:
        return evaluate_escalations(
            self.spec,
            config.rules,
            self.facts,
            priority=priority,
            policy_id=self.policy_id,
            applied=self.applied,
            now=now,
        )

    def next_check(self, config: SlaConfig, priority: int, now: datetime) -> datetime | None:
        due_now, upcoming = self.evaluate(config, priority, now)
        candidates = list(self.breach_candidates)
        if due_now:
            candidates.append(now)
        if upcoming is not None:
            candidates.append(upcoming)
        return min(candidates, default=None)


def escalation_facts(
    incident: Incident,
    state: IncidentSla,
    pauses: list[tuple[datetime, datetime | None]],
    *,
    last_update: datetime | None = None,
) -> ClockFacts:
    return ClockFacts(
        started_at=state.started_at,
        response_target=state.response_target,
        resolution_target=state.resolution_target,
        responded_at=state.responded_at,
        stopped_at=state.stopped_at,
        paused_since=state.paused_since,
        closed_pauses=[(a, b) for a, b in pauses if b is not None],
        last_update_at=last_update if last_update is not None else last_update_at(incident),
    )


AUTOMATIC_EVENTS = ("incident.sla_breached", "incident.escalated")


def last_update_at(incident: Incident) -> datetime:
    """When someone last did something on the incident (its latest event other than the
    sweep's own breach and escalation records)."""
    latest = (
        IncidentEvent.objects.filter(incident=incident)
        .exclude(type__in=AUTOMATIC_EVENTS)
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    return latest or incident.created_at


def sla_recheck_open(*, now: datetime | None = None) -> int:
    """After a policy, rule or calendar changes: have the sweep look at every open incident
    again (it recomputes each in bounded batches). One UPDATE over the sweep's index."""
    return IncidentSla.objects.filter(stopped_at__isnull=True).update(
        next_check_at=now or clock.now()
    )
