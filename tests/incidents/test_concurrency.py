"""Two analysts take the same unassigned incident at the same moment on PostgreSQL:
exactly one wins; the other gets a 409 with a clear message."""

import threading
from typing import Any

import pytest
from django.db import connection

from incidents import services
from servicedesk.errors import Conflict

from ..org.factories import UserFactory
from .factories import make_incident


@pytest.mark.django_db(transaction=True)
def test_two_analysts_take_the_same_incident(require_postgres: Any, team: Any) -> None:
    requester = UserFactory(username="req")
    first, second = UserFactory(username="first"), UserFactory(username="second")
    team.members.add(first, second)
    incident = make_incident(requester, actor=first, team=team)
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def take(analyst: Any) -> None:
        try:
            barrier.wait(timeout=10)
            services.incident_assign(
                incident=incident.pk, actor=analyst, assignee=analyst, only_if_unassigned=True
            )
            outcomes[analyst.username] = "won"
        except Conflict as exc:
            outcomes[analyst.username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(a,)) for a in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    winners = [name for name, result in outcomes.items() if result == "won"]
    losers = [result for result in outcomes.values() if isinstance(result, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0].status == 409
    assert losers[0].code == "incident.assign.already_taken"
    assert losers[0].message == f"{incident.ref} was just taken by {winners[0].title()}."
    incident.refresh_from_db()
    assert incident.assignee.username == winners[0]
    assert incident.events.filter(type="incident.assigned").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_analysts_merge_two_tickets_into_each_other(require_postgres: Any, team: Any) -> None:
    """A into B and B into A at the same moment: the rows are locked in the same order, so one
    merge wins and the other is refused (its ticket is closed now); never a deadlock, never two
    closed tickets pointing at each other."""
    requester = UserFactory(username="req")
    first, second = UserFactory(username="first"), UserFactory(username="second")
    team.members.add(first, second)
    a = make_incident(requester, actor=first, team=team, title="A")
    b = make_incident(requester, actor=first, team=team, title="B")
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def merge(analyst: Any, duplicate: Any, kept: Any) -> None:
        try:
            barrier.wait(timeout=10)
            services.incident_merge(incident=duplicate.pk, into=kept.pk, actor=analyst)
            outcomes[analyst.username] = "won"
        except Conflict as exc:
            outcomes[analyst.username] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=merge, args=(first, a, b)),
        threading.Thread(target=merge, args=(second, b, a)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    winners = [name for name, result in outcomes.items() if result == "won"]
    losers = [result for result in outcomes.values() if isinstance(result, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    a.refresh_from_db()
    b.refresh_from_db()
    assert sorted([a.status, b.status]) == ["closed", "new"]
    survivor, merged = (a, b) if a.status == "new" else (b, a)
    assert merged.merged_into == survivor and survivor.merged_into is None
    assert losers[0].message in {
        "Cannot merge an incident that is closed.",
        f"{merged.ref} is closed; merge into an open ticket.",
    }
