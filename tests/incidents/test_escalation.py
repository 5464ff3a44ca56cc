"""Escalation rules with a pinned clock: every threshold, every action, exactly once (twice
swept changes nothing; two workers at once on PostgreSQL apply each level once), paused
incidents do not escalate on resolution time, closed incidents leave the sweep's index."""

import threading
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from incidents import services
from incidents.escalation import parse_levels
from incidents.models import Escalation, EscalationRule, IncidentEvent, IncidentSla, SlaPolicy
from incidents.services.escalation import sla_sweep
from incidents.services.sla import sla_recheck_open
from org.models import BusinessCalendar, WorkingHours
from tests.incidents.factories import make_incident
from tests.org.factories import BusinessServiceFactory, TeamFactory, UserFactory

LONDON = ZoneInfo("Europe/London")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


MONDAY_9 = at(2026, 12, 7, 9, 0)


@pytest.fixture
def policy(db: Any) -> SlaPolicy:
    calendar = BusinessCalendar.objects.create(name="Office", time_zone="Europe/London")
    for weekday in range(5):
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, start=time(9, 0), end=time(17, 0)
        )
    return SlaPolicy.objects.create(
        name="Office hours",
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=4),
        calendar=calendar,
    )


@pytest.fixture
def tier2(db: Any) -> Any:
    team = TeamFactory(slug="tier2", name="Tier 2")
    team.lead = UserFactory(username="tier2lead")
    team.save()
    return team


@pytest.fixture
def ladder(policy: SlaPolicy, tier2: Any) -> EscalationRule:
    return EscalationRule.objects.create(
        name="Resolution ladder",
        clock="resolution",
        next_team=tier2,
        levels=[
            {"percent": 50, "actions": ["notify_assignee"]},
            {"percent": 75, "actions": ["notify_team_lead", "notify_service_owner"]},
            {"percent": 100, "actions": ["raise_priority"]},
            {"percent": 150, "actions": ["reassign", "flag_major"]},
        ],
    )


@pytest.fixture
def worked(policy: SlaPolicy, requester: Any, analyst: Any, team: Any, manager: Any) -> Any:
    """Logged Monday 09:00 on a service the desk owns, assigned and answered at once."""
    service = BusinessServiceFactory(slug="mail", owner_team=team)
    with time_machine.travel(MONDAY_9, tick=False):
        incident = make_incident(requester, service=service)
        services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
        services.incident_start(incident=incident, actor=analyst)
        services.incident_comment(incident=incident, actor=analyst, body="On it")
    incident.refresh_from_db()
    return incident


def applied(incident: Any) -> list[tuple[str, int]]:
    return [
        (e.rule.name, e.level)
        for e in Escalation.objects.filter(incident=incident).select_related("rule")
    ]


def sweep_at(moment: datetime) -> Any:
    with time_machine.travel(moment, tick=False):
        return sla_sweep()


# --- Thresholds and actions ------------------------------------------------------------------
def test_each_resolution_threshold_applies_its_level_once(
    ladder: EscalationRule, worked: Any, analyst: Any, manager: Any, tier2: Any
) -> None:
    # 4 business hours: 50 % at 11:00, 75 % at 12:00, 100 % at 13:00, 150 % at 15:00.
    assert IncidentSla.objects.get(incident=worked).next_check_at == at(2026, 12, 7, 11, 0)
    sweep_at(at(2026, 12, 7, 10, 59))
    assert applied(worked) == []

    sweep_at(at(2026, 12, 7, 11, 0, 1))
    assert applied(worked) == [("Resolution ladder", 1)]
    (first,) = Escalation.objects.filter(incident=worked)
    assert first.outcome["notified"] == [analyst.pk]

    sweep_at(at(2026, 12, 7, 12, 0, 1))
    second = Escalation.objects.get(incident=worked, level=2)
    assert second.outcome["notified"] == [manager.pk]  # team lead and service owner: one person

    sweep_at(at(2026, 12, 7, 13, 0, 1))
    worked.refresh_from_db()
    assert worked.priority == 2  # P3 raised one step
    raised = IncidentEvent.objects.get(incident=worked, type="incident.escalated", payload__level=3)
    assert raised.payload["changes"] == {"priority": [3, 2]}
    assert raised.is_internal
    assert "Resolution ladder" in raised.reason

    sweep_at(at(2026, 12, 7, 15, 0, 1))
    worked.refresh_from_db()
    assert worked.team == tier2 and worked.assignee is None and worked.is_major
    assert applied(worked) == [("Resolution ladder", n) for n in (1, 2, 3, 4)]
    assert IncidentSla.objects.get(incident=worked).next_check_at is None  # nothing left


def test_a_sweep_catching_up_applies_every_level_due_and_twice_changes_nothing(
    ladder: EscalationRule, worked: Any
) -> None:
    sweep_at(at(2026, 12, 7, 16, 0))
    assert len(applied(worked)) == 4
    events = IncidentEvent.objects.count()
    state = IncidentSla.objects.filter(incident=worked).values().get()
    sweep_at(at(2026, 12, 7, 16, 0))
    sweep_at(at(2026, 12, 7, 16, 0))
    assert len(applied(worked)) == 4
    assert IncidentEvent.objects.count() == events
    assert IncidentSla.objects.filter(incident=worked).values().get() == state


def test_response_threshold(policy: SlaPolicy, requester: Any, analyst: Any, team: Any) -> None:
    EscalationRule.objects.create(
        name="Answer me",
        clock="response",
        levels=[{"percent": 50, "actions": ["flag_major"]}],
    )
    with time_machine.travel(MONDAY_9, tick=False):
        answered = make_incident(requester, title="answered")
        silent = make_incident(requester, title="silent")
    with time_machine.travel(at(2026, 12, 7, 9, 20), tick=False):
        services.incident_comment(incident=answered, actor=analyst, body="Hello")
    sweep_at(at(2026, 12, 7, 9, 31))
    assert applied(silent) == [("Answer me", 1)]
    assert applied(answered) == []  # answered before 50 %


def test_time_since_last_update_threshold(policy: SlaPolicy, worked: Any, analyst: Any) -> None:
    EscalationRule.objects.create(
        name="Quiet ticket",
        clock="update",
        levels=[{"minutes": 120, "actions": ["notify_assignee"]}],
    )
    with time_machine.travel(at(2026, 12, 7, 9, 30), tick=False):
        assert sla_recheck_open() == 1  # a new rule: every open incident is looked at again
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        services.incident_comment(incident=worked, actor=analyst, body="Still looking")
    sweep_at(at(2026, 12, 7, 11, 30))
    assert applied(worked) == []
    sweep_at(at(2026, 12, 7, 12, 0, 1))
    assert applied(worked) == [("Quiet ticket", 1)]


def test_rules_can_be_limited_to_priorities_and_policies(policy: SlaPolicy, worked: Any) -> None:
    EscalationRule.objects.create(
        name="P1 only", priorities=[1], levels=[{"percent": 50, "actions": ["flag_major"]}]
    )
    other = SlaPolicy.objects.create(
        name="Other",
        position=500,
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=2),
    )
    EscalationRule.objects.create(
        name="Other policy", policy=other, levels=[{"percent": 50, "actions": ["flag_major"]}]
    )
    sweep_at(at(2026, 12, 7, 16, 0))
    assert applied(worked) == []


def test_paused_incidents_do_not_escalate_on_resolution(
    ladder: EscalationRule, worked: Any, analyst: Any
) -> None:
    with time_machine.travel(at(2026, 12, 7, 10, 30), tick=False):
        services.incident_pend(incident=worked, actor=analyst, reason="vendor", note="RMA")
    sweep_at(at(2026, 12, 9, 12, 0))
    assert applied(worked) == []
    assert IncidentSla.objects.get(incident=worked).next_check_at is None
    # Resumed Wednesday 09:00 with 1 h 30 spent: 50 % (2 h) falls at 09:30.
    with time_machine.travel(at(2026, 12, 9, 9, 0), tick=False):
        worked.refresh_from_db()
        services.incident_resume(incident=worked, actor=analyst)
    assert IncidentSla.objects.get(incident=worked).next_check_at == at(2026, 12, 9, 9, 30)
    sweep_at(at(2026, 12, 9, 9, 30, 1))
    assert applied(worked) == [("Resolution ladder", 1)]


def test_closed_incidents_leave_the_sweeps_index(
    ladder: EscalationRule, worked: Any, analyst: Any, requester: Any
) -> None:
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        services.incident_resolve(incident=worked, actor=analyst, code="fixed", notes="ok")
        services.incident_close(incident=worked, actor=requester)
    assert IncidentSla.objects.get(incident=worked).next_check_at is None
    sweep_at(at(2026, 12, 8, 10, 0))
    assert applied(worked) == []


def test_levels_are_validated_in_words() -> None:
    with pytest.raises(ValueError, match="at least one level"):
        parse_levels([], clock="resolution", next_team=False)
    with pytest.raises(ValueError, match="must increase"):
        parse_levels(
            [
                {"percent": 75, "actions": ["flag_major"]},
                {"percent": 50, "actions": ["flag_major"]},
            ],
            clock="resolution",
            next_team=False,
        )
    with pytest.raises(ValueError, match="unknown action 'page_ceo'"):
        parse_levels([{"percent": 50, "actions": ["page_ceo"]}], clock="response", next_team=False)
    with pytest.raises(ValueError, match="next-tier team"):
        parse_levels([{"percent": 50, "actions": ["reassign"]}], clock="response", next_team=False)
    with pytest.raises(ValueError, match="use 'minutes'"):
        parse_levels([{"percent": 50, "actions": ["flag_major"]}], clock="update", next_team=False)
    levels = parse_levels(
        [{"minutes": 30, "actions": ["notify_assignee"]}], clock="update", next_team=False
    )
    assert levels[0].minutes == 30 and levels[0].number == 1


# --- Several workers at once -----------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_apply_each_level_once(require_postgres: Any) -> None:
    from django.db import connections

    from incidents.choices import EscalationAction
    from org.models import Team

    team = Team.objects.create(name="Desk", slug="desk2")
    analyst = UserFactory(username="worker-analyst")
    team.members.add(analyst)
    requester = UserFactory(username="worker-requester")
    SlaPolicy.objects.create(
        name="Tight", response_target=timedelta(minutes=30), resolution_target=timedelta(hours=1)
    )
    EscalationRule.objects.create(
        name="Both",
        levels=[
            {"percent": 50, "actions": [EscalationAction.FLAG_MAJOR]},
            {"percent": 100, "actions": [EscalationAction.NOTIFY_ASSIGNEE]},
        ],
    )
    start = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(start, tick=False):
        incidents = [make_incident(requester, title=f"n{i}") for i in range(30)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                sla_sweep(now=start + timedelta(hours=2), batch=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sla_sweep(now=start + timedelta(hours=2), batch=100)  # whatever was skipped
    assert not errors
    assert Escalation.objects.count() == 60
    assert IncidentEvent.objects.filter(type="incident.escalated").count() == 60
    for incident in incidents:
        assert (
            IncidentEvent.objects.filter(incident=incident, type="incident.sla_breached").count()
            == 2
        )
    assert connection.vendor == "postgresql"


# --- Set-wise: the cost of a sweep batch ----------------------------------------------------
def _due_incidents(count: int, requester: Any, analyst: Any, team: Any) -> list[Any]:
    service = BusinessServiceFactory(owner_team=team)
    made = []
    with time_machine.travel(MONDAY_9, tick=False):
        for n in range(count):
            incident = make_incident(requester, service=service, title=f"due {n}")
            services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
            made.append(incident)
    return made


def test_a_sweeps_queries_do_not_grow_with_the_number_of_due_incidents(
    ladder: EscalationRule, requester: Any, analyst: Any, team: Any, tier2: Any
) -> None:
    from django.test.utils import CaptureQueriesContext

    from org.services import system_actor
    from webhooks.models import WebhookSubscription

    WebhookSubscription.objects.create(
        owner=analyst,
        name="Hook",
        url="https://example.com/hook",
        event_types=["incident.escalated"],
    )
    system_actor()  # created once, on the first sweep ever: not part of the count
    counts = []
    for size in (2, 9):
        batch = _due_incidents(size, requester, analyst, team)
        with CaptureQueriesContext(connection) as queries:
            result = sweep_at(at(2026, 12, 7, 16, 0))  # every level of every incident due
        assert (result.checked, result.escalations) == (size, 4 * size)
        for incident in batch:
            assert len(applied(incident)) == 4
            incident.refresh_from_db()
            assert incident.team == tier2 and incident.is_major and incident.priority == 2
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1], counts


def test_escalations_notify_through_the_outbox_and_publish_webhooks(
    ladder: EscalationRule, worked: Any, analyst: Any
) -> None:
    from incidents.tasks import escalation_notify_key
    from servicedesk.models import OutboxMessage
    from webhooks.models import WebhookDelivery, WebhookSubscription

    WebhookSubscription.objects.create(
        owner=analyst,
        name="Hook",
        url="https://example.com/hook",
        event_types=["incident.escalated"],
    )
    sweep_at(at(2026, 12, 7, 12, 0, 1))  # levels 1 and 2: both notify
    escalations = list(Escalation.objects.filter(incident=worked).order_by("level"))
    assert [e.level for e in escalations] == [1, 2]
    for escalation in escalations:
        assert OutboxMessage.objects.filter(key=escalation_notify_key(escalation.pk)).exists()
    events = IncidentEvent.objects.filter(incident=worked, type="incident.escalated")
    assert {e.payload["escalation_id"] for e in events} == {e.pk for e in escalations}
    assert WebhookDelivery.objects.filter(event_type="incident.escalated").count() == 2


def test_a_level_someone_else_claimed_is_not_applied_again(
    ladder: EscalationRule, worked: Any
) -> None:
    from incidents.escalation import Decision, Level, RuleFacts
    from incidents.services.escalation import _claim
    from org.services import system_actor

    rule = RuleFacts(id=ladder.pk, name=ladder.name, clock="resolution", levels=())
    decision = Decision(rule, Level(number=1, actions=("flag_major",), percent=50), MONDAY_9)
    first = _claim([(worked, decision)], actor=system_actor(), now=MONDAY_9)
    assert list(first) == [(worked.pk, ladder.pk, 1)]
    assert _claim([(worked, decision)], actor=system_actor(), now=MONDAY_9) == {}
    assert Escalation.objects.filter(incident=worked).count() == 1


def test_the_people_an_escalation_names_read_what_escalated_and_why(
    ladder: EscalationRule, worked: Any, analyst: Any, manager: Any
) -> None:
    from incidents.tasks import incident_escalation_notify_task
    from notifications.models import Notification

    sweep_at(at(2026, 12, 7, 12, 0, 1))  # level 1 tells the assignee, level 2 the team lead
    for escalation in Escalation.objects.filter(incident=worked).order_by("level"):
        incident_escalation_notify_task(escalation.pk)
        incident_escalation_notify_task(escalation.pk)  # a redelivery tells nobody twice
    notes = {n.recipient_id: n for n in Notification.objects.filter(kind="escalation")}
    assert set(notes) == {analyst.pk, manager.pk}
    for person, level in ((analyst, 1), (manager, 2)):
        note = notes[person.pk]
        zone = person.time_zone or "UTC"
        expected_fix = f"{worked.due_at.astimezone(ZoneInfo(zone)):%a %d %b %Y, %H:%M}"
        assert note.title == f"Escalated: {worked.ref} {worked.title}"
        assert note.body == (
            f"Escalation rule 'Resolution ladder' reached level {level}.\n\n"
            f"Reference: {worked.ref}\n"
            f"Title: {worked.title}\n"
            "Priority: P3 - Moderate\n"
            f"Requester: {worked.requester.name}\n"
            f"Expected fix: {expected_fix} ({zone})"
        )
        assert note.link == f"/incidents/{worked.pk}/"
