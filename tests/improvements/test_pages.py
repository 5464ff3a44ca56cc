"""The register's pages: the list with filters, empty states and votes (with and without
htmx), suggesting from a ticket, an item with its actions and refusals, the process owner's
view and a debt item; exact query counts on the lists."""

from typing import Any

import pytest
from django.contrib.messages import get_messages

from improvements import services
from improvements.models import Improvement, ProcessDebt

from ..incidents.factories import make_incident
from .conftest import approved_bypass

pytestmark = pytest.mark.django_db


def login(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def said(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def make(actor: Any, n: int = 1) -> list[Improvement]:
    return [
        services.improvement_suggest(actor=actor, title=f"Idea {i}", description="Because.")
        for i in range(n)
    ]


def test_empty_register_and_filtered_empty(client, requester):
    c = login(client, requester)
    html = c.get("/improvements/").content.decode()
    assert "No suggestions yet. When something in a process or a service gets in your way," in html
    assert (
        "No improvement matches these filters."
        in c.get("/improvements/?status=done").content.decode()
    )


@pytest.mark.parametrize("n", [1, 5])
def test_register_query_count_is_constant(
    client, requester, process_owner, n, django_assert_num_queries
):
    make(requester, n)
    c = login(client, requester)
    c.get("/improvements/")  # warm the session
    with django_assert_num_queries(11):
        response = c.get("/improvements/")
    assert response.content.decode().count('class="inline-form vote"') == n


def test_suggest_from_a_ticket_links_it(client, requester, process_owner):
    incident = make_incident(requester)
    c = login(client, requester)
    detail = c.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'href="/improvements/new/?evidence=incident:{incident.pk}"' in detail
    page = c.get(f"/improvements/new/?evidence=incident:{incident.pk}").content.decode()
    assert f'This suggestion links <a href="/incidents/{incident.pk}/">{incident.ref}</a>' in page
    response = c.post(
        "/improvements/new/",
        {
            "title": "Ask for a screenshot",
            "description": "Words do not describe an error dialog well.",
            "topic": "process",
            "evidence": f"incident:{incident.pk}",
        },
    )
    row = Improvement.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/improvements/{row.pk}/"
    assert said(response) == [
        f"Thank you: {row.ref} is in the register. You will be told what becomes of it."
    ]
    assert [e.ref for e in row.evidence.all()] == [incident.ref]


def test_problem_and_change_pages_offer_the_link(client, analyst, manager):
    from changes import services as change_services

    from ..incidents.factories import make_problem

    problem = make_problem(analyst)
    c = login(client, analyst)
    html = c.get(f"/problems/{problem.pk}/").content.decode()
    assert f'href="/improvements/new/?evidence=problem:{problem.pk}"' in html
    change = change_services.change_create(
        actor=analyst, title="Patch the VPN", description="Monthly patch"
    )
    html = c.get(f"/changes/{change.pk}/").content.decode()
    assert f'href="/improvements/new/?evidence=change:{change.pk}"' in html


def test_a_failed_suggestion_keeps_what_was_typed(client, requester):
    c = login(client, requester)
    response = c.post(
        "/improvements/new/", {"title": "", "description": "Kept text", "topic": "service"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "Kept text" in html
    response = c.post(
        "/improvements/new/", {"title": "VPN", "description": "Kept text", "topic": "service"}
    )
    assert response.status_code == 400
    assert "Name the service this improvement is about." in response.content.decode()
    assert not Improvement.objects.exists()


def test_vote_without_and_with_htmx(client, requester, analyst, process_owner):
    (row,) = make(requester)
    c = login(client, analyst)
    response = c.post(f"/improvements/{row.pk}/vote/", {"next": "/improvements/"})
    assert response["Location"] == "/improvements/"
    assert said(response) == [f"Your vote for {row.ref} is counted."]
    partial = c.post(f"/improvements/{row.pk}/vote/", HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert "<html" not in html and "0 votes" in html and 'aria-pressed="false"' in html


def test_owner_acts_and_decline_needs_a_reason(client, requester, process_owner):
    (row,) = make(requester)
    c = login(client, process_owner)
    html = c.get(f"/improvements/{row.pk}/").content.decode()
    assert ">Accept</button>" in html and ">Decline</button>" in html
    response = c.post(f"/improvements/{row.pk}/decline/", {"d-reason": "no"})
    assert response.status_code == 409
    assert (
        "Say why it is declined (at least 10 characters): the person who suggested it will "
        "read it." in response.content.decode()
    )
    response = c.post(f"/improvements/{row.pk}/accept/")
    assert said(response) == [f"{row.ref} is accepted. The person who suggested it is told."]
    row.refresh_from_db()
    assert row.status == "accepted"
    html = c.get(f"/improvements/{row.pk}/").content.decode()
    assert "<strong>Requester</strong> suggested it" in html
    assert "<strong>Pat Owner</strong> accepted it" in html


def test_a_requester_sees_no_actions_and_is_refused(client, requester, process_owner):
    (row,) = make(requester)
    c = login(client, requester)
    html = c.get(f"/improvements/{row.pk}/").content.decode()
    assert ">Accept</button>" not in html
    response = c.post(f"/improvements/{row.pk}/accept/")
    assert said(response) == [
        "Only the improvement's owner, its owning group, a process owner or an admin may do this."
    ]
    row.refresh_from_db()
    assert row.status == "suggested"


def test_owner_view_and_debt_page(client, analyst, owners, requester, debt_policies):
    for _ in range(3):
        approved_bypass(analyst, owners[0], beneficiary=requester)
    services.debt_sweep()
    debt = ProcessDebt.objects.get()
    assert login(client, requester).get("/improvements/owners/").status_code == 403
    c = login(client, owners[0])
    html = c.get("/improvements/owners/").content.decode()
    assert "Customer confirmation" in html and debt.ref in html
    page = c.get(f"/improvements/debt/{debt.pk}/").content.decode()
    assert "The requests, their reasons and reviews" in page
    assert "The matrix ranks one reporter as low impact." in page
    response = c.post(f"/improvements/debt/{debt.pk}/convert/")
    row = Improvement.objects.get()
    assert said(response) == [f"{debt.ref} is now improvement {row.ref}."]
