"""The at-risk instant kept on the incident row by triggers (incidents.at_risk): after every kind
of write it equals what the clock and the due time say, whoever wrote."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from incidents import at_risk, services
from incidents.choices import RUNNING_STATUSES
from incidents.models import Incident, IncidentSla, SlaPolicy
from incidents.services.escalation import sla_sweep
from incidents.services.sla import sla_recheck_open

from .factories import incident_in, make_incident

pytestmark = pytest.mark.django_db


def expected(incident: Incident, clock: IncidentSla | None) -> Any:
    """The rule, in Python: for a running incident, the earlier at-risk instant of the clock's
    parts still running; without a clock, BREACHING_WITHIN before the due time; None: never,
    and for every incident not running."""
    if incident.status not in RUNNING_STATUSES:
        return None
    if clock is None:
        return incident.due_at - at_risk.BREACHING_WITHIN if incident.due_at else None
    running = [
        clock.resolution_at_risk_at if clock.stopped_at is None else None,
        clock.response_at_risk_at if clock.responded_at is None else None,
    ]
    return min((v for v in running if v is not None), default=None)


def assert_every_instant_follows_the_rule() -> int:
    clocks = {c.incident_id: c for c in IncidentSla.objects.all()}
    incidents = list(Incident.objects.all())
    wrong = [
        (i.ref, i.at_risk_at, expected(i, clocks.get(i.pk)))
        for i in incidents
        if i.at_risk_at != expected(i, clocks.get(i.pk))
    ]
    assert not wrong, wrong
    return len(incidents)


@pytest.fixture
def policy(db: Any) -> SlaPolicy:
    """Both parts, round the clock (no calendar, none default): 1 hour to respond, 8 to
    resolve."""
    return SlaPolicy.objects.create(
        name="Both parts",
        position=1,
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=8),
    )


def test_the_instant_follows_every_service_and_sweep(
    policy: SlaPolicy, requester: Any, analyst: Any, team: Any
) -> None:
    """Logged, assigned, responded to, on hold and back, re-prioritised, resolved, reopened,
    cancelled, merged, closed by the auto-close sweep, swept for breaches and escalations: each
    incident's stored instant is the rule's, and the queue finds the ones at risk by it."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fresh = make_incident(requester)  # response at risk after 45 minutes
        responded = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
        services.incident_comment(incident=responded, actor=analyst, body="On it")
        held = incident_in("pending", requester=requester, analyst=analyst, team=team)
        resolved = incident_in("resolved", requester=requester, analyst=analyst, team=team)
        incident_in("cancelled", requester=requester, analyst=analyst, team=team)
        reprioritised = incident_in("assigned", requester=requester, analyst=analyst, team=team)
        duplicate = make_incident(requester, title="Same printer")
    assert_every_instant_follows_the_rule()
    clock = IncidentSla.objects.get(incident=fresh)
    assert Incident.objects.get(pk=fresh.pk).at_risk_at == clock.response_at_risk_at
    assert Incident.objects.get(pk=resolved.pk).at_risk_at is None  # nothing runs

    with time_machine.travel(start + timedelta(hours=2), tick=False):
        held.refresh_from_db()
        services.incident_resume(incident=held, actor=analyst)
        reprioritised.refresh_from_db()
        services.incident_triage(incident=reprioritised, actor=analyst, impact=1, urgency=1)
        resolved.refresh_from_db()
        services.incident_reopen(incident=resolved, actor=requester, reason="Again")
        services.incident_merge(
            incident=Incident.objects.get(pk=duplicate.pk),
            into=Incident.objects.get(pk=fresh.pk),
            actor=analyst,
            note="same printer",
        )
        sla_sweep()
    assert_every_instant_follows_the_rule()

    with time_machine.travel(start + timedelta(days=30), tick=False):
        sla_sweep()
        services.incident_autoclose_due()
        sla_recheck_open()
    assert assert_every_instant_follows_the_rule() == 7


def test_a_clock_written_directly_and_a_due_time_moved_reach_the_row(
    requester: Any, analyst: Any, team: Any
) -> None:
    """Writes outside the services (a bulk update, a deleted clock, a moved due time) are kept
    in step too: the triggers are the writers."""
    now = timezone.now()
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    soon, later = now + timedelta(hours=1), now + timedelta(hours=5)
    IncidentSla.objects.filter(incident=incident).update(
        resolution_at_risk_at=later, response_at_risk_at=soon, responded_at=None, stopped_at=None
    )
    assert Incident.objects.get(pk=incident.pk).at_risk_at == soon
    IncidentSla.objects.filter(incident=incident).update(responded_at=now)
    assert Incident.objects.get(pk=incident.pk).at_risk_at == later
    IncidentSla.objects.filter(incident=incident).update(stopped_at=now)
    assert Incident.objects.get(pk=incident.pk).at_risk_at is None
    IncidentSla.objects.filter(incident=incident).delete()  # no clock: the due time decides
    Incident.objects.filter(pk=incident.pk).update(due_at=later)
    assert Incident.objects.get(pk=incident.pk).at_risk_at == later - timedelta(hours=4)
    Incident.objects.filter(pk=incident.pk).update(due_at=None)
    assert Incident.objects.get(pk=incident.pk).at_risk_at is None
    IncidentSla.objects.create(incident=incident, started_at=now, resolution_at_risk_at=soon)
    assert Incident.objects.get(pk=incident.pk).at_risk_at == soon
    assert_every_instant_follows_the_rule()


def test_a_stale_instance_saved_in_full_does_not_write_its_old_instant(
    requester: Any, analyst: Any, team: Any
) -> None:
    now = timezone.now()
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    stale = Incident.objects.get(pk=incident.pk)
    IncidentSla.objects.filter(incident=incident).update(
        resolution_at_risk_at=now + timedelta(minutes=7), stopped_at=None, responded_at=now
    )
    stale.title = "Printer on floor 2 jams (edited)"
    stale.save()  # every column, the old at_risk_at among them
    assert Incident.objects.get(pk=incident.pk).at_risk_at == now + timedelta(minutes=7)


def test_a_clock_rewritten_with_the_same_instants_leaves_the_row_alone(
    requester: Any, analyst: Any, team: Any
) -> None:
    """The sweep rewrites clocks (computed_at, next check) whose instants stay put: no new
    version of the incident's row then (each would add an entry to every index of the table).
    PostgreSQL names a row's version (xmin); SQLite has none to read."""
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    if connection.vendor != "postgresql":
        pytest.skip("row versions are PostgreSQL's (the rule itself is tested on both)")
    version = "SELECT xmin::text FROM incidents_incident WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.execute(version, [incident.pk])
        before = cursor.fetchone()[0]
        clock = IncidentSla.objects.get(incident=incident)
        clock.computed_at = timezone.now()
        clock.save()  # every column written, the deciding four unchanged
        cursor.execute(version, [incident.pk])
        assert cursor.fetchone()[0] == before
        IncidentSla.objects.filter(incident=incident).update(stopped_at=timezone.now())
        cursor.execute(version, [incident.pk])
        assert cursor.fetchone()[0] != before


def test_the_backfill_sets_what_a_load_without_triggers_left_empty(
    requester: Any, analyst: Any, team: Any
) -> None:
    """What the migration runs over existing incidents (and a data load may run after
    bypassing the triggers)."""
    incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    make_incident(requester)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # as a bulk load may (the test role may)
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("UPDATE incidents_incident SET at_risk_at = NULL")
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER incidents_incident_at_risk_upd")
            cursor.execute("UPDATE incidents_incident SET at_risk_at = NULL")
        assert not Incident.objects.filter(at_risk_at__isnull=False).exists()
        cursor.execute(at_risk.backfill_sql(connection.vendor))
    assert Incident.objects.filter(at_risk_at__isnull=False).count() == 2
    assert_every_instant_follows_the_rule()


def test_the_triggers_are_installed() -> None:
    """A migration that rebuilds the incident or clock table on SQLite drops their triggers
    (it must end with at_risk.restored()): this fails then."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
                ["incidents_%_at_risk_%"],
            )
            names = {row[0] for row in cursor.fetchall()}
            assert names == {
                "incidents_incident_at_risk_ins",
                "incidents_incident_at_risk_upd",
                "incidents_clock_at_risk_ins_del",
                "incidents_clock_at_risk_upd",
            }
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names = {row[0] for row in cursor.fetchall()}
            assert set(at_risk.SQLITE_TRIGGERS) <= names
