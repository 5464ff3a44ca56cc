"""The manager's home: their teams' workload instead of an empty "My work"."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ..org.factories import BusinessServiceFactory
from .factories import incident_in, make_incident


@pytest.fixture
def service(team: Any) -> Any:
    return BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)


def test_manager_home_shows_the_teams_workload(
    client: Client, requester: Any, analyst: Any, manager: Any, team: Any, service: Any
) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=9), tick=False):
        oldest = make_incident(requester, service=service, impact=1, urgency=1)  # overdue P1
    make_incident(requester, service=service)  # new, unassigned P3
    incident_in("pending", requester=requester, analyst=analyst, team=team)
    incident_in("closed", requester=requester, analyst=analyst, team=team)  # not open
    make_incident(requester)  # no team
    client.force_login(manager)
    response = client.get("/")
    desk, triage = response.context["workload"]
    assert desk["name"] == "Desk" and desk["open"] == 3
    assert desk["by_status"] == [2, 0, 0, 1]  # new, assigned, in progress, pending
    assert desk["by_priority"] == [1, 0, 2, 0]
    assert (desk["unassigned"], desk["overdue"]) == (2, 1)
    assert desk["oldest_ref"] == oldest.ref
    assert (triage["name"], triage["open"], triage["unassigned"]) == ("No team (triage)", 1, 1)
    html = response.content.decode()
    assert "Your teams' workload" in html
    assert f'<a href="/incidents/{oldest.pk}/" class="mono">{oldest.ref}</a>' in html
    assert '<a href="/queue/triage/">No team (triage)</a>' in html


def test_analysts_and_requesters_see_no_workload(
    client: Client, requester: Any, analyst: Any
) -> None:
    for person in (requester, analyst):
        client.force_login(person)
        response = client.get("/")
        assert response.context["workload"] == []
        assert "Your teams' workload" not in response.content.decode()


@pytest.mark.parametrize("rows", [2, 20])
def test_manager_home_query_count(
    client: Client,
    requester: Any,
    manager: Any,
    service: Any,
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    for _ in range(rows):
        make_incident(requester, service=service)
    client.force_login(manager)
    client.get("/")
    # session, user, roles (3), the teams' workload, the no-team row, the bell
    with django_assert_num_queries(8):
        response = client.get("/")
    assert response.context["workload"][0]["open"] == rows
