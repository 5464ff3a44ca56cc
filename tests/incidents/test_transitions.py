"""Every (from status, action) pair: allowed ones reach the expected status with one event;
refused ones raise TransitionNotAllowed and change nothing."""

from typing import Any

import pytest

from incidents import services
from incidents.choices import IncidentStatus
from incidents.models import Incident, IncidentEvent
from incidents.transitions import INCIDENT
from servicedesk.errors import TransitionNotAllowed

from .factories import incident_in, make_incident

STATUSES = [s.value for s in IncidentStatus]
ACTIONS = ["assign", "start", "pend", "resume", "resolve", "close", "reopen", "cancel", "merge"]

# Written out by hand, independently of incidents/transitions.py.
EXPECTED = {
    ("new", "assign"): "assigned",
    ("assigned", "assign"): "assigned",
    ("in_progress", "assign"): "assigned",
    ("assigned", "start"): "in_progress",
    ("in_progress", "pend"): "pending",
    ("pending", "resume"): "in_progress",
    ("assigned", "resolve"): "resolved",
    ("in_progress", "resolve"): "resolved",
    ("pending", "resolve"): "resolved",
    ("resolved", "close"): "closed",
    ("resolved", "reopen"): "assigned",
    ("new", "cancel"): "cancelled",
    ("assigned", "cancel"): "cancelled",
    ("in_progress", "cancel"): "cancelled",
    ("pending", "cancel"): "cancelled",
    ("new", "merge"): "closed",
    ("assigned", "merge"): "closed",
    ("in_progress", "merge"): "closed",
    ("pending", "merge"): "closed",
}


# The words a person reads when a transition is refused, also written out by hand.
ACTION_WORDS = {
    "assign": "assign",
    "start": "start",
    "pend": "put on hold",
    "resume": "resume",
    "resolve": "resolve",
    "close": "close",
    "reopen": "reopen",
    "cancel": "cancel",
    "merge": "merge",
}
STATUS_WORDS = {
    "new": "new",
    "assigned": "assigned",
    "in_progress": "in progress",
    "pending": "pending",
    "resolved": "resolved",
    "closed": "closed",
    "cancelled": "cancelled",
}


def test_state_graph_matches_the_expected_pairs() -> None:
    assert INCIDENT.pairs() == {(src, dst) for (src, _a), dst in EXPECTED.items()}


def _run(action: str, incident: Incident, requester: Any, analyst: Any, team: Any) -> Incident:
    if action == "assign":
        return services.incident_assign(
            incident=incident, actor=analyst, team=team, assignee=analyst
        )
    if action == "start":
        return services.incident_start(incident=incident, actor=analyst)
    if action == "pend":
        return services.incident_pend(
            incident=incident, actor=analyst, reason="requester", note="Which printer?"
        )
    if action == "resume":
        return services.incident_resume(incident=incident, actor=analyst)
    if action == "resolve":
        return services.incident_resolve(
            incident=incident, actor=analyst, code="fixed", notes="Done"
        )
    if action == "close":
        return services.incident_close(incident=incident, actor=requester)
    if action == "reopen":
        return services.incident_reopen(incident=incident, actor=requester, reason="Again")
    if action == "cancel":
        return services.incident_cancel(incident=incident, actor=requester, reason="Not needed")
    if action == "merge":
        kept = make_incident(requester, title="The one we keep")
        return services.incident_merge(incident=incident, into=kept, actor=analyst)
    raise AssertionError(action)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", STATUSES)
def test_every_status_action_pair(
    status: str, action: str, requester: Any, analyst: Any, team: Any
) -> None:
    incident = incident_in(status, requester=requester, analyst=analyst, team=team)
    events_before = IncidentEvent.objects.filter(incident=incident).count()
    expected = EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(TransitionNotAllowed) as refused:
            _run(action, incident, requester, analyst, team)
        assert refused.value.status == 409
        assert refused.value.message == (
            f"Cannot {ACTION_WORDS[action]} an incident that is {STATUS_WORDS[status]}."
        )
        incident.refresh_from_db()
        assert incident.status == status
        assert IncidentEvent.objects.filter(incident=incident).count() == events_before
    else:
        result = _run(action, incident, requester, analyst, team)
        result.refresh_from_db()
        assert result.status == expected
        events = IncidentEvent.objects.filter(incident=incident).order_by("pk")
        assert events.count() == events_before + 1
        last = events.last()
        assert last is not None
        assert (last.from_status, last.to_status) == (status, expected)
        assert last.actor_id in {requester.pk, analyst.pk}
