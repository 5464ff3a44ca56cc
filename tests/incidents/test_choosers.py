"""The ticket page's search-as-you-type choosers (a problem, a person, a team): the scoped,
limited endpoint, and the forms that accept a chosen id or a typed reference."""

import html
from typing import Any

import pytest
from django.test import Client

from incidents import services
from incidents.choosers import LIMIT
from incidents.models import Incident

from ..org.factories import TeamFactory, UserFactory
from .factories import incident_in, make_problem

ROLES = ["requester", "analyst", "manager", "admin_user"]


def page_text(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def incident(requester: Any, analyst: Any, team: Any) -> Incident:
    return incident_in("assigned", requester=requester, analyst=analyst, team=team)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the endpoint ---------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/choose/problem/?q=printer")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("field", ["problem", "assignee", "team"])
def test_permission_matrix(request: pytest.FixtureRequest, who: str, field: str) -> None:
    make_problem(request.getfixturevalue("manager"), title="Desk printers jam")
    q = {"problem": "desk", "assignee": "analyst", "team": "desk"}[field]
    request.getfixturevalue("analyst")
    response = _client(request.getfixturevalue(who)).get(f"/choose/{field}/?q={q}")
    if who == "requester":
        assert response.status_code == 403
        assert "Choosing a problem, a person or a team is for analysts and managers." in page_text(
            response
        )
    else:
        assert response.status_code == 200
        assert "Matching" in page_text(response)


def test_an_unknown_chooser_is_not_found(analyst: Any) -> None:
    assert _client(analyst).get("/choose/everything/?q=ab").status_code == 404


def test_problems_offered_are_the_linkable_ones_matching_every_word(
    analyst: Any, manager: Any
) -> None:
    jam = make_problem(manager, title="Floor 2 printers jam")
    make_problem(manager, title="Floor 3 printers offline")
    closed = make_problem(manager, title="Floor 2 printers jam again")
    services.problem_investigate(problem=closed, actor=manager)
    services.problem_resolve(problem=closed, actor=manager, permanent_fix="New rollers")
    response = _client(analyst).get(
        "/choose/problem/",
        {"name": "link-problem-problem", "link-problem-problem_q": "printers floor 2"},
    )
    text = page_text(response)
    assert f"{jam.ref} · Floor 2 printers jam (new)" in text
    assert "offline" not in text and "jam again" not in text  # other words; resolved
    assert (
        f'name="link-problem-problem" value="{jam.pk}" id="id_link-problem-problem_{jam.pk}"'
        in text
    )
    assert 'data-announce="1 problem matches"' in text
    by_ref = page_text(_client(analyst).get("/choose/problem/", {"q": jam.ref.lower()}))
    assert f"{jam.ref} · Floor 2 printers jam" in by_ref


def test_nothing_found_says_so_and_one_letter_searches_nothing(analyst: Any) -> None:
    client = _client(analyst)
    assert "No team matches “zz”." in page_text(client.get("/choose/team/?q=zz"))
    text = page_text(client.get("/choose/team/?q=z"))
    assert "No team matches" not in text and "Matching" not in text


def test_people_offered_are_active_team_members_and_leads(
    analyst: Any, manager: Any, requester: Any, team: Any
) -> None:
    UserFactory(username="ann-gone", is_active=False).memberships.create(team=team)
    text = page_text(_client(analyst).get("/choose/assignee/?q=a"))
    assert "No person matches" in page_text(_client(analyst).get("/choose/assignee/?q=zzz"))
    text = page_text(_client(analyst).get("/choose/assignee/?q=an"))
    assert "Analyst · analyst · analyst@example.com" in text
    assert "Manager · manager · manager@example.com" in text  # the team's lead
    assert "Requester" not in text and "ann-gone" not in text


def test_results_are_limited_and_cost_a_constant_number_of_queries(
    analyst: Any, django_assert_num_queries: Any
) -> None:
    for k in range(LIMIT + 5):
        TeamFactory(slug=f"ops-{k}", name=f"Ops {k:02d}")
    client = _client(analyst)
    # the session, the user, the role (groups, memberships, teams led), the options
    with django_assert_num_queries(6):
        response = client.get("/choose/team/?q=ops")
    text = page_text(response)
    assert text.count('type="radio"') == LIMIT
    assert f"The first {LIMIT} are shown: type more to narrow it down." in text
    assert f'data-announce="{LIMIT} or more teams match"' in text


# --- the forms ------------------------------------------------------------------------------
def test_the_ticket_page_lists_no_problem_person_or_team(
    analyst: Any, manager: Any, incident: Incident
) -> None:
    make_problem(manager, title="Floor 2 printers jam")
    text = page_text(_client(analyst).get(f"/incidents/{incident.pk}/"))
    assert "Floor 2 printers jam" not in text and "<option" not in text.split("Assign")[1][:4000]
    assert 'name="link-problem-problem_q"' in text and 'hx-get="/choose/problem/"' in text
    assert 'name="assign-assignee_q"' in text and 'name="assign-team_q"' in text


def test_assigning_by_a_chosen_id(analyst: Any, manager: Any, incident: Incident) -> None:
    response = _client(analyst).post(
        f"/incidents/{incident.pk}/assign/", {"assign-assignee": manager.pk}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assignee == manager


def test_assigning_by_a_typed_username_without_javascript(
    analyst: Any, manager: Any, incident: Incident
) -> None:
    response = _client(analyst).post(
        f"/incidents/{incident.pk}/assign/", {"assign-assignee_q": "MANAGER"}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assignee == manager


def test_a_typed_name_that_is_nobody_is_refused_with_what_to_do(
    analyst: Any, incident: Incident
) -> None:
    response = _client(analyst).post(
        f"/incidents/{incident.pk}/assign/", {"assign-assignee_q": "Mana"}
    )
    assert response.status_code == 400
    assert (
        "No person is “Mana”: type a few letters and choose one of the matches, or type their "
        "username or e-mail address." in page_text(response)
    )
    assert 'value="Mana"' in page_text(response)  # what was typed is kept


def test_an_id_outside_the_choices_keeps_django_s_message(
    analyst: Any, requester: Any, incident: Incident
) -> None:
    response = _client(analyst).post(
        f"/incidents/{incident.pk}/assign/", {"assign-assignee": requester.pk}
    )
    assert response.status_code == 400
    assert "Select a valid choice. That choice is not one of the available choices." in page_text(
        response
    )
    incident.refresh_from_db()
    assert incident.assignee != requester


def test_a_chosen_value_is_shown_checked_when_the_form_comes_back(
    analyst: Any, manager: Any, incident: Incident
) -> None:
    response = _client(analyst).post(
        f"/incidents/{incident.pk}/assign/",
        {"assign-assignee": manager.pk, "assign-team_q": "no such team"},
    )
    assert response.status_code == 400
    text = page_text(response)
    assert "No team is “no such team”" in text
    assert f'value="{manager.pk}" id="id_assign-assignee_{manager.pk}" checked' in text


def test_linking_a_problem_by_its_typed_reference(
    analyst: Any, manager: Any, incident: Incident
) -> None:
    problem = make_problem(manager, title="Floor 2 printers jam")
    response = _client(analyst).post(
        f"/incidents/{incident.pk}/link-problem/",
        {"link-problem-problem_q": f" {problem.ref.lower()} ", "link-problem-confirm": "on"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.problem == problem


def test_a_typed_reference_of_no_linkable_problem_is_refused(
    analyst: Any, incident: Incident
) -> None:
    response = _client(analyst).post(
        f"/incidents/{incident.pk}/link-problem/", {"link-problem-problem_q": "PRB-999999"}
    )
    assert response.status_code == 400
    assert (
        "No problem is “PRB-999999”: type a few letters and choose one of the matches, or type "
        "its reference (PRB-000012)." in page_text(response)
    )


def test_linking_needs_a_problem(analyst: Any, incident: Incident) -> None:
    response = _client(analyst).post(f"/incidents/{incident.pk}/link-problem/", {})
    assert response.status_code == 400
    assert "This field is required." in page_text(response)
