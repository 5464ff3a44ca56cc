"""SLA clocks with a pinned clock: policy choice, business-hours dues, pauses by cause,
breaches recorded once and never undone, recomputation on every relevant change."""

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from incidents import services
from incidents.models import Category, IncidentEvent, IncidentSla, SlaPause, SlaPolicy
from incidents.sla import (
    Badge,
    IncidentFacts,
    PolicyFacts,
    StoredClock,
    choose_policy,
    clock_badge,
    overall_badge,
)
from org.models import BusinessCalendar, WorkingHours
from tests.incidents.factories import make_incident
from tests.org.factories import BusinessServiceFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
# Friday 4 December 2026, 16:00 in London (UTC+0 in winter).
FRIDAY_4PM = datetime(2026, 12, 4, 16, 0, tzinfo=LONDON)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


@pytest.fixture
def office(db: Any) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name="London office", time_zone="Europe/London")
    for weekday in range(5):
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, start=time(9, 0), end=time(17, 0)
        )
    calendar.holidays.create(date=datetime(2026, 12, 25).date(), name="Christmas")
    return calendar


@pytest.fixture
def policy(office: BusinessCalendar) -> SlaPolicy:
    """Office hours for everything: 2 business hours to respond, 8 to resolve."""
    return SlaPolicy.objects.create(
        name="Standard",
        position=100,
        response_target=timedelta(hours=2),
        resolution_target=timedelta(hours=8),
        calendar=office,
    )


def sla_of(incident: Any) -> IncidentSla:
    return IncidentSla.objects.get(incident=incident)


# --- Pure rules ------------------------------------------------------------------------------
def test_the_first_matching_policy_in_order_applies() -> None:
    p1 = PolicyFacts(1, "P1 anywhere", timedelta(minutes=15), timedelta(hours=4), None, {1})  # type: ignore[arg-type]
    mail = PolicyFacts(
        2,
        "Mail by phone",
        timedelta(hours=1),
        timedelta(hours=8),
        service_ids=frozenset({7}),
        channels=frozenset({"phone"}),
    )
    catch_all = PolicyFacts(3, "Everything else", timedelta(hours=4), timedelta(days=3))
    ordered = [p1, mail, catch_all]
    facts = IncidentFacts(priority=3, service_id=7, category_id=None, channel="phone")
    assert choose_policy(ordered, facts) is mail
    assert choose_policy(ordered, IncidentFacts(1, 7, None, "phone")) is p1
    assert choose_policy(ordered, IncidentFacts(3, 7, None, "portal")) is catch_all
    assert choose_policy([p1, mail], IncidentFacts(3, 8, None, "phone")) is None


def test_requester_facts_are_not_policy_conditions() -> None:
    """VIP flag, seniority and department cannot select a policy: they are not fields."""
    for fact in ("is_vip", "seniority_band", "department", "requester"):
        assert fact not in IncidentFacts.__dataclass_fields__
        assert not any(fact in name for name in PolicyFacts.__dataclass_fields__)


def test_badges() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    clock = StoredClock(
        target=timedelta(hours=8),
        due_at=now + timedelta(hours=5),
        at_risk_at=now + timedelta(hours=1),
        stopped=False,
        breached_at=None,
    )
    assert clock_badge(clock, paused=False, now=now) == Badge.ON_TRACK
    assert clock_badge(clock, paused=False, now=now + timedelta(hours=2)) == Badge.AT_RISK
    assert clock_badge(clock, paused=True, now=now + timedelta(hours=2)) == Badge.PAUSED
    assert clock_badge(clock, paused=False, now=now + timedelta(hours=6)) == Badge.BREACHED
    met = StoredClock(clock.target, clock.due_at, clock.at_risk_at, True, None)
    assert clock_badge(met, paused=False, now=now + timedelta(hours=6)) == Badge.MET
    assert overall_badge(Badge.MET, Badge.AT_RISK) == Badge.AT_RISK
    assert overall_badge(Badge.BREACHED, Badge.PAUSED) == Badge.BREACHED


# --- Clocks on a business calendar ------------------------------------------------------------
def test_dues_run_in_business_hours_over_the_weekend(
    policy: SlaPolicy, requester: Any, analyst: Any, team: Any
) -> None:
    with time_machine.travel(FRIDAY_4PM, tick=False):
        incident = make_incident(requester, actor=analyst, team=team)
    sla = sla_of(incident)
    assert sla.policy == policy and sla.policy_name == "Standard"
    assert sla.calendar == policy.calendar
    # 1 h left on Friday, the second hour on Monday morning.
    assert sla.response_due_at == at(2026, 12, 7, 10, 0)
    # 8 h: Friday 16-17, Monday 9-16.
    assert sla.resolution_due_at == at(2026, 12, 7, 16, 0)
    incident.refresh_from_db()
    assert incident.due_at == sla.resolution_due_at  # due_at keeps meaning "resolution due"
    assert sla.next_check_at == sla.response_due_at


def test_a_vip_requester_gets_the_same_clock(policy: SlaPolicy, requester: Any) -> None:
    vip = UserFactory(username="ceo", is_vip=True, seniority_band="executive")
    with time_machine.travel(FRIDAY_4PM, tick=False):
        plain = make_incident(requester)
        important = make_incident(vip)
    assert sla_of(plain).resolution_due_at == sla_of(important).resolution_due_at
    assert sla_of(plain).policy_id == sla_of(important).policy_id


def test_calendar_falls_back_to_the_services_then_the_default(
    office: BusinessCalendar, requester: Any, team: Any
) -> None:
    SlaPolicy.objects.create(
        name="No calendar", response_target=timedelta(hours=1), resolution_target=timedelta(hours=2)
    )
    service = BusinessServiceFactory(slug="payroll", owner_team=team, calendar=office)
    with time_machine.travel(FRIDAY_4PM, tick=False):
        on_service = make_incident(requester, service=service)
        plain = make_incident(requester)
    assert sla_of(on_service).calendar == office
    assert sla_of(on_service).resolution_due_at == at(2026, 12, 7, 10, 0)
    # No calendar anywhere: 24 x 7 in UTC.
    assert sla_of(plain).calendar is None
    assert sla_of(plain).resolution_due_at == FRIDAY_4PM + timedelta(hours=2)
    # A default calendar is used when nothing else names one.
    office.is_default = True
    office.save()
    with time_machine.travel(FRIDAY_4PM, tick=False):
        later = make_incident(requester)
    assert sla_of(later).calendar == office


def test_policies_are_chosen_by_priority_service_category_and_channel(
    policy: SlaPolicy, requester: Any, analyst: Any, team: Any
) -> None:
    network = Category.objects.create(name="Network (SLA test)", slug="network-sla")
    urgent = SlaPolicy.objects.create(
        name="Critical network",
        position=1,
        priorities=[1, 2],
        response_target=timedelta(minutes=15),
        resolution_target=timedelta(hours=4),
    )
    urgent.categories.add(network)
    with time_machine.travel(FRIDAY_4PM, tick=False):
        incident = make_incident(requester, actor=analyst, team=team, category=network)
        assert sla_of(incident).policy == policy  # P3: not critical
        services.incident_triage(incident=incident, actor=analyst, impact=1, urgency=1)
    sla = sla_of(incident)
    assert sla.policy == urgent
    assert sla.response_due_at == FRIDAY_4PM + timedelta(minutes=15)  # 24 x 7


def test_no_policy_falls_back_to_the_priority_targets(requester: Any) -> None:
    from incidents.models import ResolutionTarget

    with time_machine.travel(FRIDAY_4PM, tick=False):
        incident = make_incident(requester)
    sla = sla_of(incident)
    assert sla.policy is None and sla.response_due_at is None
    target = ResolutionTarget.objects.get(priority=incident.priority).resolve_within
    assert sla.resolution_due_at == FRIDAY_4PM + target


# --- Pauses ----------------------------------------------------------------------------------
def test_pending_pauses_the_clock_and_records_why(
    policy: SlaPolicy, requester: Any, analyst: Any, team: Any
) -> None:
    monday_9 = at(2026, 12, 7, 9, 0)
    with time_machine.travel(FRIDAY_4PM, tick=False):
        incident = make_incident(requester)
        services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
        services.incident_start(incident=incident, actor=analyst)
    with time_machine.travel(monday_9 + timedelta(hours=1), tick=False):  # 2 h spent
        services.incident_pend(incident=incident, actor=analyst, reason="vendor", note="RMA")
    sla = sla_of(incident)
    assert sla.paused_since == monday_9 + timedelta(hours=1) and sla.pause_reason == "vendor"
    assert sla.resolution_elapsed == timedelta(hours=2)
    assert sla.next_check_at is None  # nothing runs while paused (and no rules)
    with time_machine.travel(at(2026, 12, 8, 9, 0), tick=False):  # paused 7 business hours
        incident.refresh_from_db()
        services.incident_resume(incident=incident, actor=analyst)
    sla = sla_of(incident)
    assert sla.paused_since is None
    assert sla.resolution_elapsed == timedelta(hours=2)
    # 6 h left from Tuesday 09:00.
    assert sla.resolution_due_at == at(2026, 12, 8, 15, 0)
    (pause,) = SlaPause.objects.filter(incident=incident)
    assert pause.reason == "vendor"
    assert pause.started_at == monday_9 + timedelta(hours=1)
    assert pause.ended_at == at(2026, 12, 8, 9, 0)


def test_a_requester_pause_names_the_requester_and_their_reply_ends_it(
    policy: SlaPolicy, requester: Any, analyst: Any, team: Any
) -> None:
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        incident = make_incident(requester)
        services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
        services.incident_start(incident=incident, actor=analyst)
        services.incident_pend(incident=incident, actor=analyst, reason="requester", note="Which?")
    with time_machine.travel(at(2026, 12, 7, 12, 0), tick=False):
        services.incident_comment(incident=incident, actor=requester, body="Floor 2")
    (pause,) = SlaPause.objects.filter(incident=incident)
    assert pause.reason == "requester" and pause.waiting_on == requester.name
    assert pause.ended_at == at(2026, 12, 7, 12, 0)
    assert sla_of(incident).paused_since is None


def test_other_is_a_pending_reason(
    policy: SlaPolicy, requester: Any, analyst: Any, team: Any
) -> None:
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        incident = make_incident(requester)
        services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
        services.incident_start(incident=incident, actor=analyst)
        services.incident_pend(incident=incident, actor=analyst, reason="other", note="Site shut")
    assert sla_of(incident).pause_reason == "other"


# --- First response, resolution, reopen ------------------------------------------------------
def test_first_response_stops_the_response_clock(
    policy: SlaPolicy, requester: Any, analyst: Any, team: Any
) -> None:
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        incident = make_incident(requester)
    with time_machine.travel(at(2026, 12, 7, 11, 0), tick=False):
        services.incident_comment(incident=incident, actor=analyst, body="Looking at it")
    sla = sla_of(incident)
    assert sla.responded_at == at(2026, 12, 7, 11, 0)
    assert sla.response_elapsed == timedelta(hours=1)
    assert sla.response_breached_at is None
    assert sla.next_check_at == sla.resolution_due_at


def test_reopen_starts_a_fresh_resolution_clock(
    policy: SlaPolicy, requester: Any, analyst: Any, team: Any
) -> None:
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        incident = make_incident(requester)
        services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
    with time_machine.travel(at(2026, 12, 7, 11, 0), tick=False):
        services.incident_resolve(incident=incident, actor=analyst, code="fixed", notes="ok")
    sla = sla_of(incident)
    assert sla.stopped_at == at(2026, 12, 7, 11, 0) and sla.next_check_at is None
    with time_machine.travel(at(2026, 12, 8, 9, 0), tick=False):
        incident.refresh_from_db()
        services.incident_reopen(incident=incident, actor=requester, reason="Again")
    sla = sla_of(incident)
    assert sla.stopped_at is None and sla.started_at == at(2026, 12, 8, 9, 0)
    assert sla.resolution_due_at == at(2026, 12, 8, 17, 0)


# --- Breaches --------------------------------------------------------------------------------
def breaches(incident: Any) -> list[str]:
    return [
        e.payload["clock"]
        for e in IncidentEvent.objects.filter(incident=incident, type="incident.sla_breached")
    ]


def test_breaches_are_recorded_once_each_and_never_undone(
    policy: SlaPolicy, requester: Any, analyst: Any, team: Any
) -> None:
    from incidents.services.escalation import sla_sweep

    with time_machine.travel(at(2026, 12, 7, 9, 0), tick=False):
        incident = make_incident(requester, actor=analyst, team=team)
    with time_machine.travel(at(2026, 12, 7, 11, 0, 1), tick=False):
        sla_sweep()
        sla_sweep()
    assert breaches(incident) == ["response"]
    assert sla_of(incident).response_breached_at == at(2026, 12, 7, 11, 0, 1)
    with time_machine.travel(at(2026, 12, 7, 17, 0, 1), tick=False):
        sla_sweep()
    assert breaches(incident) == ["response", "resolution"]
    # A longer target later (P4 would still be this policy: give it a longer target) does not
    # undo a breach.
    policy.resolution_target = timedelta(days=10)
    policy.save()
    with time_machine.travel(at(2026, 12, 7, 17, 30), tick=False):
        services.incident_triage(incident=incident, actor=analyst, impact=4, urgency=4)
        sla_sweep()
    sla = sla_of(incident)
    assert sla.resolution_breached_at is not None and sla.response_breached_at is not None
    assert breaches(incident) == ["response", "resolution"]


def test_a_late_first_response_is_a_response_breach(
    policy: SlaPolicy, requester: Any, analyst: Any
) -> None:
    with time_machine.travel(at(2026, 12, 7, 9, 0), tick=False):
        incident = make_incident(requester)
    with time_machine.travel(at(2026, 12, 7, 12, 0), tick=False):
        services.incident_comment(incident=incident, actor=analyst, body="Sorry for the wait")
    assert breaches(incident) == ["response"]
    assert sla_of(incident).response_breached_at == at(2026, 12, 7, 12, 0)


def test_a_paused_incident_does_not_breach_its_resolution(
    policy: SlaPolicy, requester: Any, analyst: Any, team: Any
) -> None:
    from incidents.services.escalation import sla_sweep

    with time_machine.travel(at(2026, 12, 7, 9, 0), tick=False):
        incident = make_incident(requester)
        services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
        services.incident_start(incident=incident, actor=analyst)
        services.incident_comment(incident=incident, actor=analyst, body="On it")
        services.incident_pend(incident=incident, actor=analyst, reason="change", note="CAB")
    with time_machine.travel(at(2026, 12, 20, 9, 0), tick=False):
        sla_sweep()
    assert breaches(incident) == []
    assert sla_of(incident).resolution_breached_at is None
