"""Change pages: who sees what, forms that call the services, refusals shown with their step,
the inbox, the calendar, the process owner's pages, the incident page hook, query counts."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from changes import services
from changes.models import Change

from ..incidents.factories import make_incident
from .factories import People, change_in, make_template

PAGES = [
    "/changes/",
    "/changes/new/",
    "/changes/inbox/",
    "/changes/calendar/",
    "/changes/calendar/?view=month",
    "/changes/templates/",
    "/changes/authorities/",
    "/changes/freezes/",
]


def client_for(request: pytest.FixtureRequest, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


@pytest.fixture
def people(requester: Any, implementer: Any, approvers: list, process_owner: Any) -> People:
    return People(requester, implementer, approvers, process_owner)


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_sign_in(path: str, client: Client) -> None:
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("who", ["requester", "analyst", "approver", "process_owner", "admin_user"])
def test_pages_render_for_every_role(
    path: str, who: str, request: pytest.FixtureRequest, people: People, approvers: list
) -> None:
    if who == "approver":
        request.getfixturevalue("approvers")
        client = Client()
        client.force_login(approvers[0])
    else:
        client = client_for(request, who)
    change_in("scheduled", people)
    assert client.get(path).status_code == 200


def test_change_detail_visibility(request: pytest.FixtureRequest, people: People) -> None:
    change = change_in("assessed", people)
    for who, code in [("requester", 200), ("other_requester", 404), ("analyst", 200)]:
        assert client_for(request, who).get(f"/changes/{change.pk}/").status_code == code


def test_requester_sees_the_path_and_who_must_authorise(
    request: pytest.FixtureRequest, people: People, payroll: Any
) -> None:
    client = client_for(request, "requester")
    start = timezone.localtime() + timedelta(days=10)
    response = client.post(
        "/changes/new/",
        {
            "type": "normal",
            "title": "Upgrade payroll DB",
            "category": "database",
            "services": [payroll.pk],
            "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
            "planned_end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "implementation_plan": "Upgrade the standby.",
            "backout_plan": "Fail back.",
            "test_plan": "Rehearsed.",
            "impact_if_fails": "2",
            "complexity": "medium",
            "tested": "yes",
            "backout_tested": "yes",
            "submit_now": "1",
        },
    )
    change = Change.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/changes/{change.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert f"{change.ref} is submitted; it awaits Service owner." in page
    assert "<strong>Service owner</strong> — any one member:" in page
    assert "Alice, Bob, Carol" in page


def test_draft_shows_a_preview_of_the_authorities(
    request: pytest.FixtureRequest, people: People
) -> None:
    change = change_in("draft", people)
    page = client_for(request, "requester").get(f"/changes/{change.pk}/").content.decode()
    assert "<strong>Peer review</strong>" in page
    assert "Preview from the risk answers: low risk (score 0)." in page


def test_refusal_shows_the_step_and_why(
    request: pytest.FixtureRequest, people: People, payroll: Any
) -> None:
    change = change_in("authorised", people, services=[payroll])
    services.freeze_create(
        actor=people.owner,
        name="Payroll run",
        starts_at=change.planned_start,
        ends_at=change.planned_end,
        reason="Payday.",
        services=[payroll],
    )
    response = client_for(request, "requester").post(f"/changes/{change.pk}/schedule/")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Freeze windows: " in page and "“Payroll run”" in page and "Payroll): Payday." in page
    change.refresh_from_db()
    assert change.status == "authorised"


def test_approve_from_the_inbox(people: People, approvers: list) -> None:
    change = change_in("assessed", people)
    client = Client()
    client.force_login(approvers[1])
    page = client.get("/changes/inbox/").content.decode()
    assert change.ref in page and "Risk answers" in page
    response = client.post(
        f"/changes/{change.pk}/approve/", {"d-comment": "Fine by me.", "next": "inbox"}
    )
    assert response.status_code == 302 and response["Location"] == "/changes/inbox/"
    change.refresh_from_db()
    assert change.status == "authorised"
    assert "Nothing awaits your decision." in client.get("/changes/inbox/").content.decode()


def test_reject_without_comment_is_refused_on_the_page(people: People, approvers: list) -> None:
    change = change_in("assessed", people)
    client = Client()
    client.force_login(approvers[1])
    response = client.post(f"/changes/{change.pk}/reject/", {"d-comment": ""})
    assert response.status_code == 409
    assert "A rejection needs a comment saying why" in response.content.decode()


def test_standard_change_from_the_template_page(
    request: pytest.FixtureRequest, people: People, analyst: Any
) -> None:
    template = make_template(analyst, people.owner)
    start = timezone.localtime() + timedelta(hours=3)
    response = client_for(request, "requester").post(
        "/changes/new/",
        {
            "template": template.pk,
            "category": "application",
            "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
            "submit_now": "1",
        },
    )
    change = Change.objects.get()
    assert response.status_code == 302
    assert change.status == "scheduled" and change.title == template.title


def test_edit_after_submission_warns_and_voids(people: People, approvers: list) -> None:
    change = change_in("assessed", people, implementer=None)
    services.change_approve(change=change, actor=approvers[0])
    client = Client()
    client.force_login(people.requester)
    page = client.get(f"/changes/{change.pk}/edit/").content.decode()
    assert "Saving an edit voids the approvals given so far" in page


def test_process_owner_pages_act(
    request: pytest.FixtureRequest, people: People, analyst: Any
) -> None:
    owner = client_for(request, "process_owner")
    template = services.template_propose(actor=analyst, title="Reboot printer", procedure="Reboot.")
    response = owner.post(f"/changes/templates/{template.pk}/approve/")
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.status == "active"
    response = owner.post(
        "/changes/freezes/",
        {
            "name": "Year end",
            "starts_at": "2026-12-20T00:00",
            "ends_at": "2027-01-03T00:00",
            "reason": "Financial close.",
        },
    )
    assert response.status_code == 302
    assert "Year end" in owner.get("/changes/freezes/").content.decode()
    cab = Change._meta.apps.get_model("changes", "ChangeAuthority").objects.get(slug="cab")
    response = owner.post(
        "/changes/authorities/",
        {
            "target": "cell",
            "cell-category": "network",
            "cell-risk_class": "low",
            "cell-first": cab.pk,
        },
    )
    assert response.status_code == 302
    requester = client_for(request, "requester")
    response = requester.post(
        "/changes/authorities/",
        {
            "target": "cell",
            "cell-category": "network",
            "cell-risk_class": "low",
            "cell-first": cab.pk,
        },
    )
    assert response.status_code == 403


def test_incident_page_shows_the_change_that_caused_it(
    request: pytest.FixtureRequest, people: People, analyst: Any
) -> None:
    change = change_in("implemented", people)
    incident = make_incident(people.requester)
    services.change_link_incidents(change=change, actor=analyst, incident_ids=[incident.pk])
    page = client_for(request, "analyst").get(f"/incidents/{incident.pk}/").content.decode()
    assert f'Caused by <a href="/changes/{change.pk}/" class="mono">{change.ref}</a>' in page
    page = client_for(request, "requester").get(f"/incidents/{incident.pk}/").content.decode()
    assert change.ref not in page
    page = client_for(request, "analyst").get(f"/changes/{change.pk}/").content.decode()
    assert incident.ref in page


def test_calendar_shows_changes_and_freezes(
    request: pytest.FixtureRequest, people: People, payroll: Any
) -> None:
    change = change_in("scheduled", people, services=[payroll])
    services.freeze_create(
        actor=people.owner,
        name="Quarter close",
        starts_at=change.planned_start + timedelta(days=1),
        ends_at=change.planned_start + timedelta(days=2),
        reason="Finance.",
    )
    day = timezone.localtime(change.planned_start).date().isoformat()
    page = client_for(request, "requester").get(f"/changes/calendar/?date={day}").content.decode()
    assert change.ref in page and "Freeze “Quarter close”" in page
    page = (
        client_for(request, "requester")
        .get(f"/changes/calendar/?view=month&date={day}")
        .content.decode()
    )
    assert change.ref in page


# roles (3) + session, user; then the page's own reads
@pytest.mark.parametrize("rows", [2, 12])
def test_page_query_counts_are_constant(
    people: People, payroll: Any, analyst: Any, rows: int, django_assert_num_queries: Any
) -> None:
    base = timezone.now() + timedelta(days=10)
    for i in range(rows):
        change_in(
            "assessed",
            people,
            services=[payroll],
            title=f"Change {i}",
            planned_start=base + timedelta(hours=3 * i),
            planned_end=base + timedelta(hours=3 * i + 2),
        )
        make_template(analyst, people.owner, title=f"Template {i}")
    client = Client()
    client.force_login(people.approvers[0])
    bell = 1  # the unread count in the header, on every page
    expected = {
        "/changes/?page_size=50": 8 + bell,  # session, user, roles (3), count, page, services
        "/changes/inbox/?page_size=50": 9 + bell,  # … + the booked changes they might conflict with
        # session, user, roles (3), changes, their services, freezes (none: no prefetch)
        f"/changes/calendar/?view=month&date={base.date().isoformat()}": 8 + bell,
        "/changes/templates/": 7
        + bell,  # session, user, roles (3), templates with counts, services
        "/changes/authorities/": 8 + bell,  # … authorities, members, matrix
        "/changes/freezes/": 6 + bell,  # … freezes (none)
    }
    for path, count in expected.items():
        with django_assert_num_queries(count):
            assert client.get(path).status_code == 200, path


def test_a_busy_month_day_shows_a_few_and_links_to_the_rest(
    request: pytest.FixtureRequest, people: People
) -> None:
    base = (timezone.now() + timedelta(days=10)).replace(hour=8, minute=0)
    for i in range(8):
        change_in(
            "assessed",
            people,
            title=f"Busy {i}",
            planned_start=base + timedelta(minutes=10 * i),
            planned_end=base + timedelta(minutes=10 * i + 5),
        )
    day = timezone.localtime(base).date().isoformat()
    page = client_for(request, "requester").get(f"/changes/calendar/?view=month&date={day}")
    html = page.content.decode()
    assert html.count('class="cal-change') == 6
    assert f'href="?view=week&date={day}">+ 2 more</a>' in html
    week = client_for(request, "requester").get(f"/changes/calendar/?date={day}").content.decode()
    assert week.count('class="cal-change') == 8
