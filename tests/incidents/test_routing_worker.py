"""Routing through a real Celery worker on Redis: a real incident end to end, and nothing
lost or done twice when the broker is away while incidents are logged."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django.utils import timezone

from incidents.models import Incident, IncidentEvent
from incidents.services import routing as svc
from notifications.models import Notification
from org.choices import Role
from servicedesk import outbox
from servicedesk.celery import app as celery_app
from servicedesk.models import OutboxMessage, OutboxStatus, TaskRun
from tests.conftest import IN_CI
from tests.org.factories import TeamFactory, UserFactory
from tests.servicedesk.test_broker_outage import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@pytest.fixture(autouse=True)
def _closed_breaker() -> Iterator[None]:
    outbox._breaker_until["at"] = 0.0
    yield
    outbox._breaker_until["at"] = 0.0


@pytest.fixture
def worker_on_routing() -> Iterator[Callable[..., Any]]:
    """An in-process worker on the routing and notifications queues (it sees the test
    database); CONN_MAX_AGE 0 so its connection closes after each task."""
    db_settings = connections["default"].settings_dict
    max_age = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0

    def start() -> Any:
        return start_worker(
            celery_app,
            pool="solo",
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=10,
            queues=["routing", "notifications", "default"],
        )

    yield start
    db_settings["CONN_MAX_AGE"] = max_age


@pytest.fixture
def network(in_group: Any) -> Any:
    team = TeamFactory(slug="net", name="Network")
    for name in ("nadia", "nils"):
        team.members.add(UserFactory(username=name))
    owner = in_group(UserFactory(username="owner"), Role.PROCESS_OWNER)
    svc.routing_rule_create(
        actor=owner,
        name="VPN outages",
        conditions={"all": [{"field": "title", "op": "contains", "value": "vpn"}]},
        actions=[
            {"type": "set_team", "team_id": team.pk},
            {"type": "assign", "strategy": "round_robin"},
        ],
        is_enabled=True,
    )
    return team


def routed(pk: int) -> bool:
    return IncidentEvent.objects.filter(incident_id=pk, type="incident.routed").exists()


def test_a_real_worker_on_redis_routes_a_real_incident(
    api: Any, requester: Any, network: Any, worker_on_routing: Callable[..., Any]
) -> None:
    if IN_CI:
        assert celery_app.conf.broker_url.startswith("redis"), "CI must use the Redis broker"
        assert connection.vendor == "postgresql"
    with worker_on_routing():
        response = api(requester).post(
            "/api/v1/incidents/", {"title": "VPN keeps dropping"}, format="json"
        )
        assert response.status_code == 201, response.content
        pk = response.json()["id"]
        wait_for(lambda: routed(pk), timeout=30)
        incident = Incident.objects.get(pk=pk)
        assert incident.team == network and incident.assignee is not None
        event = IncidentEvent.objects.get(incident_id=pk, type="incident.routed")
        wait_for(lambda: TaskRun.objects.filter(key=f"incident-notify:{event.pk}").exists())
        # The task run again (a redelivery) changes nothing.
        from incidents.tasks import incident_route_task

        assert incident_route_task.delay(pk).get(timeout=20) == []
    assert IncidentEvent.objects.filter(incident_id=pk, type="incident.routed").count() == 1
    assert Notification.objects.filter(
        recipient=incident.assignee, key=f"incident-event:{event.pk}"
    ).exists()


def test_incidents_logged_while_the_broker_is_down_are_routed_and_notified_once_later(
    own_redis: Any, api: Any, requester: Any, network: Any, worker_on_routing: Callable[..., Any]
) -> None:
    OutboxMessage.objects.update(status=OutboxStatus.SENT)  # the set-up's own work
    own_redis.stop()
    client = api(requester)
    ids = []
    for n in range(4):
        response = client.post("/api/v1/incidents/", {"title": f"VPN down {n}"}, format="json")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    route_rows = OutboxMessage.objects.filter(task="incidents.tasks.incident_route_task")
    assert route_rows.filter(status=OutboxStatus.PENDING).count() == 4
    assert not any(routed(pk) for pk in ids)

    own_redis.start()
    outbox._breaker_until["at"] = 0.0
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=True):
        assert outbox.relay() >= 4  # the beat sweep, once the backoff has passed
    with worker_on_routing():
        wait_for(lambda: all(routed(pk) for pk in ids), timeout=40)
        events = list(IncidentEvent.objects.filter(type="incident.routed", incident_id__in=ids))

        def all_notified() -> bool:
            outbox.relay()  # the sweep keeps publishing what the routing recorded
            keys = [f"incident-notify:{e.pk}" for e in events]
            return TaskRun.objects.filter(key__in=keys).count() == len(ids)

        wait_for(all_notified, timeout=40)
        # The same routing message delivered again does nothing more.
        again = route_rows.first()
        assert again is not None
        assert celery_app.send_task(again.task, args=again.args).get(timeout=20) == []
    assert len(events) == 4
    assignees = [Incident.objects.get(pk=pk).assignee_id for pk in ids]
    assert None not in assignees and len(set(assignees)) == 2  # round robin over two
    for event in events:
        told = Notification.objects.filter(key=f"incident-event:{event.pk}")
        assert told.count() == 1  # the assignee, once
    assert IncidentEvent.objects.filter(type="incident.routed").count() == 4
