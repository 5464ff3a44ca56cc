"""The auto-close sweep, set-wise: the same result per incident as closing it one by one, a
constant number of queries per batch, idempotent, and never a double close under concurrent
workers (PostgreSQL)."""

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bypass import counters
from incidents import services
from incidents.models import Incident, IncidentEvent, IncidentSla, SlaPolicy
from incidents.services.autoclose import GATES
from org.services import SYSTEM_USERNAME, system_actor
from servicedesk import clock

from ..org.factories import BusinessServiceFactory
from .factories import incident_in

EVENT_FIELDS = ("type", "actor_id", "actor_name", "from_status", "to_status", "reason")
SLA_FIELDS = (
    "policy_id",
    "policy_name",
    "response_due_at",
    "resolution_due_at",
    "response_elapsed",
    "resolution_elapsed",
    "stopped_at",
    "paused_since",
    "response_breached_at",
    "resolution_breached_at",
    "next_check_at",
    "computed_at",
)


def _later(settings: Any) -> Any:
    return clock.now() + timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS, minutes=1)


def _resolved(n: int, requester: Any, analyst: Any, team: Any, **kwargs: Any) -> list[Incident]:
    return [
        incident_in("resolved", requester=requester, analyst=analyst, team=team, **kwargs)
        for _ in range(n)
    ]


def test_the_sweep_records_what_closing_one_by_one_records(
    requester: Any, analyst: Any, team: Any, settings: Any
) -> None:
    service = BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)
    with time_machine.travel(clock.now(), tick=False):  # two identical histories
        one_by_one, swept = _resolved(2, requester, analyst, team, service=service)
    later = _later(settings)
    services.incident_close(incident=one_by_one, actor=system_actor(), automatic=True, now=later)
    assert services.incident_autoclose_due(now=later) == 1
    a = Incident.objects.get(pk=one_by_one.pk)
    b = Incident.objects.get(pk=swept.pk)
    assert (a.status, b.status) == ("closed", "closed")
    assert a.closed_at == b.closed_at == later
    event_a = IncidentEvent.objects.get(incident=a, type="incident.closed")
    event_b = IncidentEvent.objects.get(incident=b, type="incident.closed")
    assert [getattr(event_b, f) for f in EVENT_FIELDS] == [
        getattr(event_a, f) for f in EVENT_FIELDS
    ]
    assert event_b.payload == event_a.payload == {"automatic": True}
    assert event_b.actor.username == SYSTEM_USERNAME and not event_b.is_internal
    sla_a, sla_b = IncidentSla.objects.get(incident=a), IncidentSla.objects.get(incident=b)
    assert [getattr(sla_b, f) for f in SLA_FIELDS] == [getattr(sla_a, f) for f in SLA_FIELDS]
    assert sla_b.stopped_at == b.resolved_at and sla_b.next_check_at is None
    assert list(b.events.values_list("type", flat=True).order_by("pk"))[-1] == "incident.closed"


def test_a_policy_changed_since_the_resolution_is_applied_as_closing_one_by_one_applies_it(
    requester: Any, analyst: Any, team: Any, settings: Any
) -> None:
    """Most states are final at the resolution and only stamped; one whose policy changed
    since is recomputed, and both end as ``incident_close`` leaves them."""
    service = BusinessServiceFactory(slug="vpn", name="VPN", owner_team=team)
    policy = SlaPolicy.objects.create(
        name="VPN",
        position=10,
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=8),
    )
    policy.services.add(service)
    with time_machine.travel(clock.now(), tick=False):
        one_by_one, swept = _resolved(2, requester, analyst, team, service=service)
        (untouched,) = _resolved(1, requester, analyst, team)
    assert IncidentSla.objects.get(incident=swept).resolution_target == timedelta(hours=8)
    SlaPolicy.objects.filter(pk=policy.pk).update(
        name="VPN (tightened)", resolution_target=timedelta(minutes=1)
    )
    before = IncidentSla.objects.get(incident=untouched)
    later = _later(settings)
    services.incident_close(incident=one_by_one, actor=system_actor(), automatic=True, now=later)
    assert services.incident_autoclose_due(now=later) == 2
    sla_a, sla_b = (
        IncidentSla.objects.get(incident=one_by_one),
        IncidentSla.objects.get(incident=swept),
    )
    assert sla_b.policy_name == "VPN (tightened)"
    assert sla_b.resolution_target == timedelta(minutes=1)
    assert [getattr(sla_b, f) for f in SLA_FIELDS] == [getattr(sla_a, f) for f in SLA_FIELDS]
    after = IncidentSla.objects.get(incident=untouched)  # same policy: only stamped
    assert after.computed_at == later and after.next_check_at is None
    assert [getattr(after, f) for f in SLA_FIELDS if f != "computed_at"] == [
        getattr(before, f) for f in SLA_FIELDS if f != "computed_at"
    ]
    assert Incident.objects.get(pk=swept.pk).due_at == Incident.objects.get(pk=one_by_one.pk).due_at


def test_each_gate_of_the_close_is_counted_once_per_incident(
    requester: Any,
    analyst: Any,
    team: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _resolved(3, requester, analyst, team)
    before = {gate: counters.counts(gate)["evaluations"] for gate in GATES}
    # Without Redis the count is written after the commit: run what the commit would run.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.incident_autoclose_due(now=_later(settings)) == 3
    assert {gate: counters.counts(gate)["evaluations"] - before[gate] for gate in GATES} == {
        gate: 3 for gate in GATES
    }


def _queries_of_a_batch(n: int, requester: Any, analyst: Any, team: Any, settings: Any) -> int:
    _resolved(n, requester, analyst, team)
    system_actor()  # created once, on the first sweep ever
    with CaptureQueriesContext(connection) as captured:
        assert services.incident_autoclose_due(now=_later(settings), batch=n) == n
    return len(captured)


def test_a_batch_costs_the_same_queries_whatever_its_size(
    requester: Any, analyst: Any, team: Any, settings: Any
) -> None:
    small = _queries_of_a_batch(2, requester, analyst, team, settings)
    large = _queries_of_a_batch(7, requester, analyst, team, settings)
    assert small == large == (12 if connection.vendor == "postgresql" else 14)


def test_finding_nothing_due_is_one_statement(
    requester: Any, analyst: Any, team: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    _resolved(2, requester, analyst, team)  # resolved, but not yet past the period
    with django_assert_num_queries(3):  # the savepoint, the claim, the release
        assert services.incident_autoclose_due() == 0


def test_a_batch_is_bounded_and_a_second_run_changes_nothing(
    requester: Any, analyst: Any, team: Any, settings: Any
) -> None:
    incidents = _resolved(5, requester, analyst, team)
    later = _later(settings)
    assert services.incident_autoclose_due(now=later, batch=3) == 3
    assert Incident.objects.filter(status="closed").count() == 3
    # the oldest resolutions first
    closed = set(Incident.objects.filter(status="closed").values_list("pk", flat=True))
    assert closed == {i.pk for i in incidents[:3]}
    assert services.incident_autoclose_due(now=later, batch=3) == 2
    events = IncidentEvent.objects.count()
    stamps = dict(Incident.objects.values_list("pk", "updated_at"))
    assert services.incident_autoclose_due(now=later, batch=3) == 0
    assert IncidentEvent.objects.count() == events
    assert dict(Incident.objects.values_list("pk", "updated_at")) == stamps
    assert IncidentEvent.objects.filter(type="incident.closed").count() == 5


def test_an_incident_resolved_inside_the_period_stays_resolved(
    requester: Any, analyst: Any, team: Any, settings: Any
) -> None:
    (incident,) = _resolved(1, requester, analyst, team)
    almost = clock.now() + timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS, minutes=-1)
    assert services.incident_autoclose_due(now=almost) == 0
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.closed_at is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_close_an_incident_twice(
    require_postgres: Any, requester: Any, analyst: Any, team: Any, settings: Any
) -> None:
    incidents = _resolved(12, requester, analyst, team)
    later = _later(settings)
    barrier = threading.Barrier(3)
    closed: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            while n := services.incident_autoclose_due(now=later, batch=2):
                closed.append(n)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(closed) == 12
    assert Incident.objects.filter(status="closed").count() == 12
    per_incident = IncidentEvent.objects.filter(type="incident.closed").values_list(
        "incident_id", flat=True
    )
    assert sorted(per_incident) == sorted(i.pk for i in incidents)
