"""The bell, the notifications page, e-mail settings and /api/v1/notifications/."""

from typing import Any

import pytest
from django.test import Client

from notifications.models import EmailPreference, Notification

from ..incidents.factories import make_incident
from ..org.factories import UserFactory


def note(user: Any, n: int = 1, **kwargs: Any) -> list[Notification]:
    return [
        Notification.objects.create(
            recipient=user,
            kind=kwargs.get("kind", "ticket_updated"),
            title=f"Update {k}",
            body=f"Body {k}",
            link="/incidents/1/",
            read_at=kwargs.get("read_at"),
        )
        for k in range(n)
    ]


def test_bell_shows_unread_count_and_works_without_js(client: Client, requester: Any) -> None:
    client.force_login(requester)
    html = client.get("/").content.decode()
    assert 'class="bell" href="/notifications/"' in html and "bell-count" not in html
    note(requester, 3)
    note(UserFactory(username="someone"), 5)
    html = client.get("/").content.decode()
    assert 'class="bell" href="/notifications/?unread=1"' in html
    assert '<span class="bell-count">3<span class="visually-hidden"> unread</span></span>' in html


@pytest.mark.parametrize("rows", [2, 20])
def test_bell_costs_one_query_whatever_the_count(
    client: Client, requester: Any, rows: int, django_assert_num_queries: Any
) -> None:
    note(requester, rows)
    client.force_login(requester)
    client.get("/")  # warm the session
    # session, user, role groups, team ids, led team ids, the bell's count
    with django_assert_num_queries(6):
        response = client.get("/")
    assert response.context["unread_notifications"] == rows


@pytest.mark.parametrize("rows", [2, 30])
def test_notifications_page_query_count(
    client: Client, requester: Any, rows: int, django_assert_num_queries: Any
) -> None:
    note(requester, rows)
    client.force_login(requester)
    client.get("/")
    # session, user, groups, teams, led teams, page count, page rows, the bell
    with django_assert_num_queries(8):
        response = client.get("/notifications/")
    assert len(response.context["page"].object_list) == min(rows, 25)


def test_mark_read_open_and_read_all(client: Client, requester: Any) -> None:
    first, second, third = note(requester, 3)
    other = note(UserFactory(username="someone"))[0]
    client.force_login(requester)
    page = client.get("/notifications/?unread=1").content.decode()
    assert "Update 0" in page and "Mark all read" in page
    response = client.post(f"/notifications/{first.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/incidents/1/"
    response = client.post(f"/notifications/{second.pk}/read/", {"unread": "1"})
    assert response["Location"] == "/notifications/?unread=1"
    assert client.post(f"/notifications/{other.pk}/read/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    response = client.post("/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=requester, read_at__isnull=True).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Marked 1 notification(s) read." in page and "bell-count" not in page
    assert client.get("/notifications/?unread=1").content.decode().count("Nothing unread.") == 1
    assert client.get(f"/notifications/{third.pk}/read/").status_code == 405


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    for url in ("/notifications/", "/account/notifications/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_email_preferences_page(client: Client, requester: Any) -> None:
    client.force_login(requester)
    html = client.get("/account/notifications/").content.decode()
    assert "Receipt when a ticket is logged for me" in html
    assert html.count("checked") == 12  # every kind by e-mail until chosen otherwise
    response = client.post(
        "/account/notifications/", {"email_kinds": ["ticket_logged", "ticket_updated"]}
    )
    assert response.status_code == 302
    assert dict(EmailPreference.objects.filter(user=requester).values_list("kind", "email")) == {
        "ticket_logged": True,
        "ticket_updated": True,
        "watched_updated": False,
        "assigned": False,
        "team_queue": False,
        "requester_replied": False,
        "bypass_approval": False,
        "escalation": False,
        "break_glass": False,
        "bypass_review": False,
        "process_debt": False,
        "improvement": False,
    }
    html = client.get("/account/notifications/").content.decode()
    assert "Your notification settings are saved." in html and html.count("checked") == 2
    response = client.post("/account/notifications/", {"email_kinds": ["nonsense"]})
    assert response.status_code == 400
    assert "Select a valid choice. nonsense is not one of the available choices." in (
        response.content.decode()
    )


# --- API ---------------------------------------------------------------------------------
def test_api_lists_only_your_own_with_unread_filter(api: Any, requester: Any) -> None:
    unread = note(requester, 2)
    from django.utils import timezone

    read = note(requester, 1, read_at=timezone.now())
    note(UserFactory(username="someone"), 4)
    client = api(requester)
    body = client.get("/api/v1/notifications/").json()
    assert body["count"] == 3
    assert {r["id"] for r in body["results"]} == {n.pk for n in unread + read}
    assert set(body["results"][0]) == {
        "id",
        "kind",
        "title",
        "body",
        "link",
        "is_read",
        "read_at",
        "created_at",
    }
    only_unread = client.get("/api/v1/notifications/?unread=true").json()
    assert {r["id"] for r in only_unread["results"]} == {n.pk for n in unread}
    only_read = client.get("/api/v1/notifications/?unread=false").json()
    assert [r["id"] for r in only_read["results"]] == [read[0].pk]
    bad = client.get("/api/v1/notifications/?unread=perhaps")
    assert bad.status_code == 400 and bad.json()["code"] == "request.invalid"
    unknown = client.get("/api/v1/notifications/?colour=red")
    assert unknown.status_code == 400
    assert unknown.json() == {
        "code": "request.unknown_parameters",
        "message": "Unknown query parameter: colour. Accepted here: cursor, page_size, unread.",
        "details": {"colour": ["Unknown query parameter."]},
    }


def test_api_read_and_read_all(api: Any, requester: Any) -> None:
    mine = note(requester, 3)
    theirs = note(UserFactory(username="someone"))[0]
    client = api(requester)
    response = client.post(f"/api/v1/notifications/{mine[0].pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    again = client.post(f"/api/v1/notifications/{mine[0].pk}/read/")
    assert again.json()["read_at"] == response.json()["read_at"]  # idempotent
    missing = client.post(f"/api/v1/notifications/{theirs.pk}/read/")
    assert missing.status_code == 404
    assert missing.json() == {"code": "resource.not_found", "message": "No such notification."}
    with_body = client.post("/api/v1/notifications/read-all/", {"all": True}, format="json")
    assert with_body.status_code == 400 and with_body.json()["code"] == "request.unknown_fields"
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("who", ["anonymous", "requester", "analyst", "manager", "admin"])
def test_api_permission_matrix(
    api: Any, who: str, request: pytest.FixtureRequest, requester: Any
) -> None:
    user = (
        None
        if who == "anonymous"
        else request.getfixturevalue("admin_user" if who == "admin" else who)
    )
    target = note(requester)[0]
    client = api(user)
    listing = client.get("/api/v1/notifications/")
    read = client.post(f"/api/v1/notifications/{target.pk}/read/")
    read_all = client.post("/api/v1/notifications/read-all/")
    if user is None:
        assert (listing.status_code, read.status_code, read_all.status_code) == (401, 401, 401)
        return
    assert listing.status_code == 200 and read_all.status_code == 200
    # only the recipient may mark it read; for anyone else it does not exist
    assert read.status_code == (200 if user == requester else 404)


@pytest.mark.parametrize("rows", [2, 30])
def test_api_list_query_count(
    api: Any, requester: Any, rows: int, django_assert_num_queries: Any
) -> None:
    note(requester, rows)
    client = api(requester)
    with django_assert_num_queries(2):  # count, page
        response = client.get("/api/v1/notifications/?unread=true")
    assert response.json()["count"] == rows


def test_requester_reading_a_ticket_notification(
    client: Client, requester: Any, analyst: Any, team: Any
) -> None:
    incident = make_incident(requester)
    n = note(requester)[0]
    n.link = f"/incidents/{incident.pk}/"
    n.save()
    client.force_login(requester)
    response = client.post(f"/notifications/{n.pk}/read/", {"open": "1"})
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert client.get(response["Location"]).status_code == 200
