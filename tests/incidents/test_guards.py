"""Each named guard refuses with its own code, and a refused action changes nothing."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from incidents import services
from incidents.models import IncidentEvent
from servicedesk.errors import Conflict, GuardFailed, PermissionDenied

from ..org.factories import TeamFactory, UserFactory
from .factories import incident_in, make_incident


def assert_unchanged(incident: Any, action: Callable[[], Any], error: type, code: str) -> None:
    before = (incident.status, incident.assignee_id, incident.team_id)
    events = IncidentEvent.objects.filter(incident=incident).count()
    with pytest.raises(error) as refused:
        action()
    assert refused.value.code == code, refused.value.code
    assert refused.value.message
    incident.refresh_from_db()
    assert (incident.status, incident.assignee_id, incident.team_id) == before
    assert IncidentEvent.objects.filter(incident=incident).count() == events


@pytest.fixture
def new(requester: Any) -> Any:
    return make_incident(requester)


def test_assign_needs_a_target(new: Any, analyst: Any) -> None:
    assert_unchanged(
        new,
        lambda: services.incident_assign(incident=new, actor=analyst),
        GuardFailed,
        "guard_failed.incident.assign.target_required",
    )


def test_assignee_must_be_in_the_team(new: Any, analyst: Any, team: Any) -> None:
    outsider = UserFactory(username="outsider")
    TeamFactory(slug="elsewhere").members.add(outsider)
    assert_unchanged(
        new,
        lambda: services.incident_assign(incident=new, actor=analyst, team=team, assignee=outsider),
        GuardFailed,
        "guard_failed.incident.assign.assignee_in_team",
    )


def test_requester_cannot_assign(new: Any, requester: Any, team: Any) -> None:
    assert_unchanged(
        new,
        lambda: services.incident_assign(incident=new, actor=requester, team=team),
        PermissionDenied,
        "incident.permission.work",
    )


def test_analyst_of_another_team_cannot_work_it(
    requester: Any, analyst: Any, other_analyst: Any, team: Any
) -> None:
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    assert_unchanged(
        incident,
        lambda: services.incident_start(incident=incident, actor=other_analyst),
        PermissionDenied,
        "incident.permission.work",
    )


def test_manager_of_the_team_can_work_it(
    requester: Any, analyst: Any, manager: Any, team: Any
) -> None:
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    assert services.incident_start(incident=incident, actor=manager).status == "in_progress"


def test_take_is_refused_once_taken(requester: Any, analyst: Any, team: Any) -> None:
    colleague = UserFactory(username="colleague")
    team.members.add(colleague)
    incident = make_incident(requester, team=team, actor=analyst)
    services.incident_assign(
        incident=incident, actor=analyst, assignee=analyst, only_if_unassigned=True
    )
    incident.refresh_from_db()
    assert_unchanged(
        incident,
        lambda: services.incident_assign(
            incident=incident, actor=colleague, assignee=colleague, only_if_unassigned=True
        ),
        Conflict,
        "incident.assign.already_taken",
    )


def test_pend_needs_a_reason(requester: Any, analyst: Any, team: Any) -> None:
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    assert_unchanged(
        incident,
        lambda: services.incident_pend(incident=incident, actor=analyst, reason="lunch"),
        GuardFailed,
        "guard_failed.incident.pend.reason_required",
    )


@pytest.mark.parametrize("code,notes", [("", "Done"), ("fixed", "  "), ("bogus", "Done")])
def test_resolve_needs_code_and_notes(
    requester: Any, analyst: Any, team: Any, code: str, notes: str
) -> None:
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    assert_unchanged(
        incident,
        lambda: services.incident_resolve(incident=incident, actor=analyst, code=code, notes=notes),
        GuardFailed,
        "guard_failed.incident.resolution.code_and_notes_required",
    )


def test_requester_cannot_resolve(requester: Any, analyst: Any, team: Any) -> None:
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    assert_unchanged(
        incident,
        lambda: services.incident_resolve(
            incident=incident, actor=requester, code="fixed", notes="I fixed it"
        ),
        PermissionDenied,
        "incident.permission.work",
    )


def test_only_the_requester_confirms_closure(requester: Any, analyst: Any, team: Any) -> None:
    incident = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    assert_unchanged(
        incident,
        lambda: services.incident_close(incident=incident, actor=analyst),
        PermissionDenied,
        "incident.closure.customer_confirmation",
    )


def test_reopen_window(requester: Any, analyst: Any, team: Any, settings: Any) -> None:
    incident = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    later = timezone.now() + settings.INCIDENT_REOPEN_WINDOW + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert_unchanged(
            incident,
            lambda: services.incident_reopen(
                incident=incident, actor=requester, reason="Broken again"
            ),
            GuardFailed,
            "guard_failed.incident.reopen.window",
        )
    just_inside = timezone.now() + settings.INCIDENT_REOPEN_WINDOW - timedelta(minutes=1)
    with time_machine.travel(just_inside, tick=False):
        reopened = services.incident_reopen(
            incident=incident, actor=requester, reason="Broken again"
        )
    assert reopened.status == "assigned" and reopened.reopened_count == 1


def test_reopen_and_cancel_need_a_reason_and_a_party(
    requester: Any, other_requester: Any, analyst: Any, team: Any
) -> None:
    incident = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    assert_unchanged(
        incident,
        lambda: services.incident_reopen(incident=incident, actor=requester, reason=" "),
        GuardFailed,
        "guard_failed.incident.reason_required",
    )
    assert_unchanged(
        incident,
        lambda: services.incident_reopen(
            incident=incident, actor=other_requester, reason="Mine too"
        ),
        PermissionDenied,
        "incident.permission.party_or_work",
    )
    fresh = make_incident(requester)
    assert_unchanged(
        fresh,
        lambda: services.incident_cancel(incident=fresh, actor=other_requester, reason="x"),
        PermissionDenied,
        "incident.permission.party_or_work",
    )
    assert_unchanged(
        fresh,
        lambda: services.incident_cancel(incident=fresh, actor=requester, reason=""),
        GuardFailed,
        "guard_failed.incident.reason_required",
    )
