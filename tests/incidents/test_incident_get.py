"""``selectors.incident_get``: the row read by id (``servicedesk.rows``), then who may see it
decided by ``access.can_view`` — the same answer as ``incident_scope``'s SQL for everyone."""

from typing import Any

import pytest
from django.http import Http404

from incidents import access, selectors, services
from incidents.models import Incident

from ..org.factories import UserFactory
from .factories import incident_in

NOT_VISIBLE = "No such incident, or it is not visible to you."


@pytest.fixture
def ticket(requester: Any, analyst: Any, team: Any) -> Incident:
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    reporter = UserFactory(username="reporter")
    Incident.objects.filter(pk=incident.pk).update(reported_by=reporter)
    watcher = UserFactory(username="watcher")
    services.incident_watch(incident=incident, actor=requester, user=watcher)
    return incident


@pytest.mark.parametrize(
    ("who", "visible", "queries"),
    [
        ("requester", True, 2),  # the row, its people
        ("reporter", True, 2),
        ("watcher", True, 3),  # + is this person watching it
        ("stranger", False, 3),  # the row and its people, then: watching it? no
        ("analyst", True, 2),
        ("other_analyst", True, 2),  # any agent sees every incident
        ("admin_user", True, 2),
    ],
)
def test_who_sees_an_incident_matches_the_scope(
    request: pytest.FixtureRequest,
    django_assert_num_queries: Any,
    ticket: Incident,
    who: str,
    visible: bool,
    queries: int,
) -> None:
    from org.models import User

    if who in ("reporter", "watcher"):
        user = User.objects.get(username=who)
    elif who == "stranger":
        user = UserFactory(username="stranger")
    else:
        user = User.objects.get(pk=request.getfixturevalue(who).pk)
    access.is_agent(user)  # the user's roles, as a request has them before the page
    in_scope = selectors.incident_scope(user=user).filter(pk=ticket.pk).exists()
    assert in_scope is visible
    with django_assert_num_queries(queries):
        if visible:
            found = selectors.incident_get(user=user, pk=ticket.pk)
        else:
            with pytest.raises(Http404) as refused:
                selectors.incident_get(user=user, pk=ticket.pk)
            assert str(refused.value) == NOT_VISIBLE
    if visible:
        with django_assert_num_queries(0):  # its people and small related rows came with it
            assert found.pk == ticket.pk
            assert found.requester.username == "requester"
            assert found.reported_by is not None and found.reported_by.username == "reporter"
            assert found.assignee is not None and found.assignee.username == "analyst"
            assert found.team is not None and found.team.slug == "desk"
    # the row only (a sub-resource): the same answer
    if visible:
        assert selectors.incident_get(user=user, pk=ticket.pk, people=False).pk == ticket.pk
    else:
        with pytest.raises(Http404):
            selectors.incident_get(user=user, pk=ticket.pk, people=False)


@pytest.mark.parametrize("people", [True, False])
def test_keys_by_id_or_reference_and_nonsense_is_404(
    ticket: Incident, analyst: Any, people: bool
) -> None:
    assert selectors.incident_get(user=analyst, pk=ticket.ref, people=people).pk == ticket.pk
    assert selectors.incident_get(user=analyst, pk=str(ticket.pk), people=people).pk == ticket.pk
    for key in ("abc", "", None, "0", "-1", str(2**63), "9" * 30, "INC-", "INC-0000000"):
        with pytest.raises(Http404) as refused:
            selectors.incident_get(user=analyst, pk=key, people=people)
        assert str(refused.value) == NOT_VISIBLE


def test_ticket_page_and_api_refuse_a_stranger_alike(
    client: Any, api: Any, ticket: Incident
) -> None:
    stranger = UserFactory(username="stranger")
    client.force_login(stranger)
    assert client.get(f"/incidents/{ticket.pk}/").status_code == 404
    response = api(stranger).get(f"/api/v1/incidents/{ticket.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "resource.not_found"
