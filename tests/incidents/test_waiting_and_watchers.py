"""Waiting on you, the hold note's audience, and watchers (CC) on the ticket page."""

from typing import Any

import pytest
from django.test import Client

from incidents import services
from incidents.models import IncidentComment, IncidentEvent

from ..org.factories import UserFactory
from .factories import incident_in


@pytest.fixture
def working(requester: Any, analyst: Any, team: Any) -> Any:
    return incident_in("in_progress", requester=requester, analyst=analyst, team=team)


# --- the hold note: internal unless waiting on the requester ------------------------------
@pytest.mark.parametrize(
    ("reason", "note_to", "public"),
    [
        ("requester", "", True),
        ("vendor", "", False),
        ("change", "", False),
        ("requester", "internal", False),
        ("vendor", "requester", True),
    ],
)
def test_pend_note_goes_to_the_requester_only_when_it_should(
    client: Client,
    working: Any,
    analyst: Any,
    requester: Any,
    reason: str,
    note_to: str,
    public: bool,
) -> None:
    client.force_login(analyst)
    response = client.post(
        f"/incidents/{working.pk}/pend/",
        {"pend-reason": reason, "pend-note": "Which floor are you on?", "pend-note_to": note_to},
    )
    assert response.status_code == 302
    event = IncidentEvent.objects.get(incident=working, type="incident.pended")
    assert event.is_internal is False  # the hold itself is public
    assert event.reason == ("Which floor are you on?" if public else "")
    assert event.payload["note_public"] is public
    notes = IncidentComment.objects.filter(incident=working, is_internal=True)
    assert [n.body for n in notes] == ([] if public else ["Which floor are you on?"])
    client.force_login(requester)
    html = client.get(f"/incidents/{working.pk}/").content.decode()
    assert ("Which floor are you on?" in html) is public


def test_pend_form_says_who_reads_the_note(client: Client, working: Any, analyst: Any) -> None:
    client.force_login(analyst)
    html = client.get(f"/incidents/{working.pk}/").content.decode()
    assert "Who reads the note" in html
    assert "The requester if waiting on them, otherwise analysts only" in html
    assert "Analysts only (internal note)" in html
    assert "The requester too (they are e-mailed)" in html


def test_api_pend_note_public_default_and_override(api: Any, working: Any, analyst: Any) -> None:
    client = api(analyst)
    response = client.post(
        f"/api/v1/incidents/{working.pk}/pend/",
        {"reason": "vendor", "note": "RMA 123"},
        format="json",
    )
    assert response.status_code == 200
    event = IncidentEvent.objects.get(incident=working, type="incident.pended")
    assert (event.reason, event.payload["note_public"]) == ("", False)
    client.post(f"/api/v1/incidents/{working.pk}/resume/")
    client.post(
        f"/api/v1/incidents/{working.pk}/pend/",
        {"reason": "requester", "note": "Serial number?", "note_public": False},
        format="json",
    )
    last = IncidentEvent.objects.filter(incident=working, type="incident.pended").last()
    assert last is not None and (last.reason, last.payload["note_public"]) == ("", False)


# --- waiting on you -------------------------------------------------------------------------
def test_waiting_on_you_on_my_tickets_and_the_ticket_page(
    client: Client, working: Any, analyst: Any, requester: Any, team: Any
) -> None:
    other = incident_in("pending", requester=requester, analyst=analyst, team=team)  # vendor
    services.incident_pend(
        incident=working, actor=analyst, reason="requester", note="Which floor are you on?"
    )
    client.force_login(requester)
    html = client.get("/incidents/mine/").content.decode()
    assert '<h2 id="waiting-h">Waiting on you</h2>' in html
    assert "The service desk needs your answer before they can go on with this ticket:" in html
    assert (
        f'<a href="/incidents/{working.pk}/#reply"><span class="mono">{working.ref}</span>' in html
    )
    assert '<blockquote class="ask">Which floor are you on?</blockquote>' in html
    # not the vendor one (each ticket shows twice: a table row, and a card for phones)
    assert html.count('<span class="badge bad">Waiting on you</span>') == 2
    assert other.ref in html
    page = client.get(f"/incidents/{working.pk}/").content.decode()
    assert '<h2 id="wait-h">Waiting on you</h2>' in page
    assert "<p>Analyst asked:</p>" in page
    assert '<blockquote class="ask">Which floor are you on?</blockquote>' in page
    # the analyst's view of the same ticket has no such banner
    client.force_login(analyst)
    assert "wait-h" not in client.get(f"/incidents/{working.pk}/").content.decode()
    # the answer resumes the ticket and the banner goes
    services.incident_comment(incident=working, actor=requester, body="Floor 3")
    client.force_login(requester)
    assert "waiting-h" not in client.get("/incidents/mine/").content.decode()
    assert "wait-h" not in client.get(f"/incidents/{working.pk}/").content.decode()


# --- watchers -------------------------------------------------------------------------------
def test_requester_adds_a_colleague_by_name_and_removes_them(
    client: Client, working: Any, requester: Any
) -> None:
    colleague = UserFactory(username="jlee", display_name="Jo Lee", email="jo.lee@example.com")
    client.force_login(requester)
    response = client.post(f"/incidents/{working.pk}/watch/", {"watch-person": "Jo Le"})
    assert response.status_code == 302
    assert list(working.watchers.all()) == [colleague]
    html = client.get(f"/incidents/{working.pk}/").content.decode()
    assert "Jo Lee follows this ticket now and hears about its public updates." in html
    assert 'aria-label="Remove Jo Lee from the followers"' in html
    # the colleague now sees the ticket
    client.force_login(colleague)
    assert client.get(f"/incidents/{working.pk}/").status_code == 200
    client.force_login(requester)
    response = client.post(f"/incidents/{working.pk}/unwatch/", {"unwatch-user_id": colleague.pk})
    assert response.status_code == 302 and not working.watchers.exists()
    assert (
        "Jo Lee no longer follows this ticket." in client.get(response["Location"]).content.decode()
    )


def test_adding_by_an_ambiguous_or_unknown_name_explains(
    client: Client, working: Any, requester: Any
) -> None:
    UserFactory(username="ann1", display_name="Ann Lee", email="ann.lee@example.com")
    UserFactory(username="ann2", display_name="Ann Ho", email="ann.ho@example.com")
    client.force_login(requester)
    response = client.post(f"/incidents/{working.pk}/watch/", {"watch-person": "Ann"})
    assert response.status_code == 400
    assert (
        "Several people match “Ann”: Ann Ho (ann.ho@example.com), Ann Lee (ann.lee@example.com). "
        "Type the e-mail address of the one you mean." in response.content.decode()
    )
    response = client.post(
        f"/incidents/{working.pk}/watch/", {"watch-person": "ANN.HO@example.com"}
    )
    assert response.status_code == 302
    assert [w.username for w in working.watchers.all()] == ["ann2"]
    response = client.post(f"/incidents/{working.pk}/watch/", {"watch-person": "Zed"})
    assert response.status_code == 400
    assert "Nobody called “Zed” has an account here. Try their e-mail address." in (
        response.content.decode()
    )


def test_a_watcher_removes_only_themself(
    client: Client, working: Any, requester: Any, other_requester: Any
) -> None:
    third = UserFactory(username="third")
    services.incident_watch(incident=working, actor=requester, user=other_requester)
    services.incident_watch(incident=working, actor=requester, user=third)
    client.force_login(other_requester)
    html = client.get(f"/incidents/{working.pk}/").content.decode()
    assert 'aria-label="Remove Third from the followers"' not in html
    response = client.post(f"/incidents/{working.pk}/unwatch/", {"unwatch-user_id": third.pk})
    assert response.status_code == 403
    assert "Only the requester and analysts remove other watchers." in response.content.decode()
    response = client.post(f"/incidents/{working.pk}/unwatch/", {})
    assert response.status_code == 302
    assert [w.username for w in working.watchers.all()] == ["third"]
    assert client.get(f"/incidents/{working.pk}/").status_code == 404  # no longer visible


def test_analyst_follows_a_ticket(client: Client, working: Any, other_analyst: Any) -> None:
    client.force_login(other_analyst)
    response = client.post(f"/incidents/{working.pk}/watch/", {"watch-person": ""})
    assert response.status_code == 302
    assert "You follow this ticket now." in client.get(response["Location"]).content.decode()


def test_people_search_suggests_colleagues(client: Client, requester: Any) -> None:
    UserFactory(
        username="jlee", display_name="Jo Lee", email="jo.lee@example.com", job_title="Nurse"
    )
    UserFactory(username="gone", display_name="Jo Gone", is_active=False)
    client.force_login(requester)
    html = client.get("/people/suggest/?watch-person=jo").content.decode()
    assert '<option value="jo.lee@example.com">Jo Lee · Nurse</option>' in html
    assert "Jo Gone" not in html
    assert client.get("/people/suggest/?q=j").content.decode().strip() == ""  # two letters at least
    client.logout()
    assert client.get("/people/suggest/?q=jo").status_code == 302


# --- watchers: API --------------------------------------------------------------------------
def test_api_watchers_add_list_remove(
    api: Any, working: Any, requester: Any, other_requester: Any
) -> None:
    client = api(requester)
    added = client.post(
        f"/api/v1/incidents/{working.pk}/watchers/", {"user_id": other_requester.pk}, format="json"
    )
    assert added.status_code == 200
    assert [(u["id"], u["name"]) for u in added.json()] == [(other_requester.pk, "Other")]
    again = client.post(
        f"/api/v1/incidents/{working.pk}/watchers/", {"user_id": other_requester.pk}, format="json"
    )
    assert again.status_code == 200
    assert client.get(f"/api/v1/incidents/{working.pk}/watchers/").json() == added.json()
    removed = client.post(
        f"/api/v1/incidents/{working.pk}/watchers/remove/",
        {"user_id": other_requester.pk},
        format="json",
    )
    assert removed.status_code == 200 and removed.json() == []
    self_add = client.post(f"/api/v1/incidents/{working.pk}/watchers/", {}, format="json")
    assert self_add.status_code == 400
    assert self_add.json()["message"] == "Requester is the requester and hears about it anyway."
    unknown = client.post(
        f"/api/v1/incidents/{working.pk}/watchers/", {"user_id": 999999}, format="json"
    )
    assert unknown.status_code == 400


@pytest.mark.parametrize(
    ("who", "listing", "add_colleague"),
    [
        ("anonymous", 401, 401),
        ("other_requester", 404, 404),  # not a party: the incident does not exist for them
        ("requester", 200, 200),
        ("analyst", 200, 200),
        ("manager", 200, 200),
        ("admin", 200, 200),
    ],
)
def test_api_watchers_permission_matrix(
    api: Any,
    request: pytest.FixtureRequest,
    working: Any,
    who: str,
    listing: int,
    add_colleague: int,
) -> None:
    user = (
        None
        if who == "anonymous"
        else request.getfixturevalue("admin_user" if who == "admin" else who)
    )
    colleague = UserFactory(username="colleague")
    client = api(user)
    assert client.get(f"/api/v1/incidents/{working.pk}/watchers/").status_code == listing
    response = client.post(
        f"/api/v1/incidents/{working.pk}/watchers/", {"user_id": colleague.pk}, format="json"
    )
    assert response.status_code == add_colleague
    assert working.watchers.filter(pk=colleague.pk).exists() is (add_colleague == 200)


def test_api_a_watcher_cannot_add_others(
    api: Any, working: Any, requester: Any, other_requester: Any
) -> None:
    services.incident_watch(incident=working, actor=requester, user=other_requester)
    colleague = UserFactory(username="colleague")
    response = api(other_requester).post(
        f"/api/v1/incidents/{working.pk}/watchers/", {"user_id": colleague.pk}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {
        "code": "auth.permission_denied",
        "message": "Only the requester and analysts add colleagues as watchers.",
    }
    assert (
        api(other_requester)
        .post(f"/api/v1/incidents/{working.pk}/watchers/remove/", {}, format="json")
        .json()
        == []
    )
