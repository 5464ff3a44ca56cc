"""Browser pages for incidents and problems: who may open what, what requesters never see,
the report form, refused actions, PRG, htmx take, bulk actions, and query budgets."""

import html
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from incidents import services
from incidents.models import (
    Incident,
    IncidentAttachment,
    IncidentComment,
    IncidentEvent,
    Problem,
    Satisfaction,
)

from ..org.factories import BusinessServiceFactory
from .factories import incident_in, make_incident, make_problem

ROLES = ["requester", "other_requester", "analyst", "other_analyst", "manager", "admin_user"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SECRET = "Internal: the requester's laptop is on the recall list"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def service(team: Any) -> Any:
    return BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)


@pytest.fixture
def incident(requester: Any, analyst: Any, team: Any) -> Incident:
    return incident_in("assigned", requester=requester, analyst=analyst, team=team)


@pytest.fixture
def attachment(incident: Incident, requester: Any) -> IncidentAttachment:
    upload = SimpleUploadedFile("screen.png", PNG, content_type="image/png")
    return services.incident_attach(incident=incident, actor=requester, upload=upload)


def client_for(request: pytest.FixtureRequest, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


def page_text(response: Any) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.content.decode())


def events(incident: Incident) -> list[str]:
    return list(IncidentEvent.objects.filter(incident=incident).values_list("type", flat=True))


# --- permission matrix ------------------------------------------------------------------
def test_every_page_sends_anonymous_visitors_to_sign_in(
    client: Client, incident: Incident, attachment: Any, manager: Any
) -> None:
    problem = make_problem(manager)
    urls = [
        "/incidents/new/",
        "/incidents/mine/",
        f"/incidents/{incident.pk}/",
        f"/incidents/{incident.pk}/attachments/{attachment.pk}/",
        "/queue/",
        "/queue/unassigned/",
        "/problems/",
        "/problems/new/",
        f"/problems/{problem.pk}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    response = client.post(f"/incidents/{incident.pk}/resolve/", {})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("requester", 200),
        ("other_requester", 404),
        ("analyst", 200),
        ("other_analyst", 200),
        ("manager", 200),
        ("admin_user", 200),
    ],
)
def test_ticket_page(
    request: pytest.FixtureRequest, incident: Incident, who: str, expected: int
) -> None:
    response = client_for(request, who).get(f"/incidents/{incident.pk}/")
    assert response.status_code == expected
    if expected == 200:
        assert incident.title in response.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("requester", 403),
        ("other_requester", 403),
        ("analyst", 200),
        ("other_analyst", 200),
        ("manager", 200),
        ("admin_user", 200),
    ],
)
@pytest.mark.parametrize("url", ["/queue/", "/queue/unassigned/", "/queue/team/", "/problems/"])
def test_queue_and_problem_list(
    request: pytest.FixtureRequest, incident: Incident, who: str, expected: int, url: str
) -> None:
    assert client_for(request, who).get(url).status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("requester", 404),
        ("other_requester", 404),
        ("analyst", 200),
        ("other_analyst", 200),
        ("manager", 200),
        ("admin_user", 200),
    ],
)
def test_problem_page(
    request: pytest.FixtureRequest, manager: Any, who: str, expected: int
) -> None:
    problem = make_problem(manager, title="Mail relay drops messages")
    response = client_for(request, who).get(f"/problems/{problem.pk}/")
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("requester", 200),
        ("other_requester", 404),
        ("analyst", 200),
        ("other_analyst", 200),
        ("manager", 200),
        ("admin_user", 200),
    ],
)
def test_attachment_download(
    request: pytest.FixtureRequest, incident: Incident, attachment: Any, who: str, expected: int
) -> None:
    response = client_for(request, who).get(
        f"/incidents/{incident.pk}/attachments/{attachment.pk}/"
    )
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="screen.png"' in response["Content-Disposition"]
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_internal_attachment_is_invisible_to_the_requester(
    client: Client, incident: Incident, requester: Any, analyst: Any
) -> None:
    upload = SimpleUploadedFile("diag.txt", b"internal diagnostics", content_type="text/plain")
    internal = services.incident_attach(
        incident=incident, actor=analyst, upload=upload, internal=True
    )
    url = f"/incidents/{incident.pk}/attachments/{internal.pk}/"
    client.force_login(requester)
    assert client.get(url).status_code == 404
    assert "diag.txt" not in client.get(f"/incidents/{incident.pk}/").content.decode()
    client.force_login(analyst)
    assert client.get(url).status_code == 200
    assert "diag.txt" in client.get(f"/incidents/{incident.pk}/").content.decode()


def test_attachment_of_another_incident_is_not_found(
    client: Client, incident: Incident, attachment: Any, requester: Any
) -> None:
    mine = make_incident(requester, title="Another one")
    client.force_login(requester)
    assert client.get(f"/incidents/{mine.pk}/attachments/{attachment.pk}/").status_code == 404


# --- what requesters never see ----------------------------------------------------------
def test_requester_pages_never_contain_internal_notes(
    client: Client, incident: Incident, requester: Any, analyst: Any, manager: Any
) -> None:
    services.incident_comment(incident=incident, actor=analyst, body=SECRET, internal=True)
    services.incident_comment(incident=incident, actor=analyst, body="We are on it.")
    problem = make_problem(manager, title="Laptop recall")
    services.problem_link_incidents(problem=problem, actor=manager, incident_ids=[incident.pk])
    services.problem_publish_workaround(
        problem=problem, actor=manager, workaround="Use the spare laptop."
    )
    client.force_login(requester)
    for url in (f"/incidents/{incident.pk}/", "/incidents/mine/", "/"):
        html = client.get(url).content.decode()
        assert "recall list" not in html, url
        assert problem.ref not in html, url
        assert "Internal note" not in html, url
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "We are on it." in html and "Use the spare laptop." in html
    assert 'name="comment-visibility"' not in html
    client.force_login(analyst)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "recall list" in html and "Internal note" in html and problem.ref in html


def test_my_tickets_lists_only_my_own(
    client: Client, requester: Any, other_requester: Any, analyst: Any
) -> None:
    make_incident(requester, title="My printer")
    make_incident(other_requester, title="Their VPN")
    client.force_login(requester)
    html = client.get("/incidents/mine/").content.decode()
    assert "My printer" in html and "Their VPN" not in html
    client.force_login(analyst)  # an analyst's own tickets, not everyone's
    html = client.get("/incidents/mine/").content.decode()
    assert "My printer" not in html and "No tickets" in html


# --- report a problem -------------------------------------------------------------------
def test_report_form_creates_an_incident_with_its_attachment(
    client: Client, requester: Any, service: Any, team: Any
) -> None:
    client.force_login(requester)
    page = client.get("/incidents/new/")
    assert page.status_code == 200 and "I can&#x27;t work at all" in page.content.decode()
    response = client.post(
        "/incidents/new/",
        {
            "title": "Outlook will not open",
            "description": "It crashes at start.",
            "service": service.pk,
            "severity": "blocked",
            "attachment": SimpleUploadedFile("crash.png", PNG, content_type="image/png"),
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.requester, incident.reported_by) == (requester, requester)
    assert (incident.impact, incident.urgency, incident.priority) == (3, 1, 2)
    assert incident.service == service and incident.team == team
    assert incident.attachments.get().filename == "crash.png"
    assert events(incident) == ["incident.created", "incident.attachment_added"]
    followed = client.get(response["Location"]).content.decode()
    assert f"Thank you: {incident.ref} is logged." in followed
    assert "crash.png" in followed


def test_report_form_refuses_a_bad_file_and_creates_nothing(client: Client, requester: Any) -> None:
    client.force_login(requester)
    response = client.post(
        "/incidents/new/",
        {
            "title": "Broken",
            "description": "See the file.",
            "severity": "minor",
            "attachment": SimpleUploadedFile("tool.exe", b"MZ...", content_type="application/x"),
        },
    )
    assert response.status_code == 400
    assert "cannot be attached" in response.content.decode()
    assert not Incident.objects.exists() and not IncidentEvent.objects.exists()


def test_report_form_shows_missing_fields(client: Client, requester: Any) -> None:
    client.force_login(requester)
    response = client.post("/incidents/new/", {"title": "", "severity": "slow"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Incident.objects.exists()


# --- actions on the ticket page ---------------------------------------------------------
@pytest.mark.parametrize("who", ["requester", "other_analyst"])
def test_refused_resolve_changes_nothing_and_is_403(
    request: pytest.FixtureRequest, incident: Incident, who: str
) -> None:
    before = events(incident)
    response = client_for(request, who).post(
        f"/incidents/{incident.pk}/resolve/",
        {"resolve-code": "fixed", "resolve-notes": "Done it myself."},
    )
    assert response.status_code == 403
    assert "Only the assignee, the incident's team, its lead or an admin may do this." in page_text(
        response
    )
    incident.refresh_from_db()
    assert incident.status == "assigned" and incident.resolution_code == ""
    assert events(incident) == before


def test_refused_without_input_is_still_403(
    client: Client, incident: Incident, requester: Any
) -> None:
    client.force_login(requester)
    for action in ("resolve", "start"):
        refused = client.post(f"/incidents/{incident.pk}/{action}/", {})
        assert refused.status_code == 403
        assert (
            "Only the assignee, the incident's team, its lead or an admin may do this."
            in page_text(refused)
        )
    note = client.post(
        f"/incidents/{incident.pk}/comment/",
        {"comment-body": "x", "comment-visibility": "internal"},
    )
    assert note.status_code == 403
    assert "Only analysts write internal notes." in page_text(note)
    assert not IncidentComment.objects.exists()


def test_other_requester_cannot_act_on_my_ticket(
    client: Client, incident: Incident, other_requester: Any
) -> None:
    client.force_login(other_requester)
    response = client.post(f"/incidents/{incident.pk}/cancel/", {"cancel-reason": "spam"})
    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.status == "assigned"


def test_transition_not_allowed_from_state_is_409(
    client: Client, requester: Any, analyst: Any, team: Any
) -> None:
    done = incident_in("closed", requester=requester, analyst=analyst, team=team)
    client.force_login(analyst)
    response = client.post(f"/incidents/{done.pk}/start/")
    assert response.status_code == 409
    assert "Cannot start an incident that is closed." in response.content.decode()


def test_buttons_follow_the_transition_table_and_the_viewer(
    client: Client, incident: Incident, requester: Any, analyst: Any, other_analyst: Any
) -> None:
    url = f"/incidents/{incident.pk}/"
    client.force_login(analyst)
    html = client.get(url).content.decode()
    for action in ("start", "resolve", "assign", "cancel"):
        assert f"/incidents/{incident.pk}/{action}/" in html, action
    for action in ("pend", "resume", "close", "reopen", "take"):
        assert f"/incidents/{incident.pk}/{action}/" not in html, action
    assert f"/incidents/{incident.pk}/triage/" in html
    client.force_login(other_analyst)  # sees it, may not work it
    html = client.get(url).content.decode()
    assert f"/incidents/{incident.pk}/resolve/" not in html
    assert f"/incidents/{incident.pk}/triage/" not in html
    client.force_login(requester)
    html = client.get(url).content.decode()
    assert f"/incidents/{incident.pk}/cancel/" in html
    assert f"/incidents/{incident.pk}/resolve/" not in html
    assert f"/incidents/{incident.pk}/triage/" not in html


def test_analyst_works_the_ticket_through_the_page(
    client: Client, incident: Incident, analyst: Any
) -> None:
    client.force_login(analyst)
    base = f"/incidents/{incident.pk}"
    response = client.post(
        f"{base}/comment/", {"comment-body": SECRET, "comment-visibility": "internal"}
    )
    assert response.status_code == 302 and response["Location"] == f"{base}/"
    assert client.post(f"{base}/start/").status_code == 302
    response = client.post(f"{base}/pend/", {"pend-reason": "vendor", "pend-note": "RMA open"})
    assert response.status_code == 302
    assert client.post(f"{base}/resume/").status_code == 302
    response = client.post(f"{base}/resolve/", {"resolve-code": "fixed", "resolve-notes": ""})
    assert response.status_code == 400  # notes are required
    assert "This field is required." in response.content.decode()
    response = client.post(
        f"{base}/resolve/", {"resolve-code": "fixed", "resolve-notes": "New battery."}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.resolution_notes == "New battery."
    # the note and the vendor hold's note (internal by default when not waiting on the requester)
    assert [(c.body, c.is_internal) for c in IncidentComment.objects.order_by("pk")] == [
        (SECRET, True),
        ("RMA open", True),
    ]
    assert events(incident)[-5:] == [
        "incident.noted",
        "incident.started",
        "incident.pended",
        "incident.resumed",
        "incident.resolved",
    ]
    html = client.get(f"{base}/").content.decode()
    assert "Resolution notes" not in html  # the resolve form is gone
    assert 'class="internal kind-note"' in html


def test_triage_and_link_to_problem(
    client: Client, incident: Incident, analyst: Any, service: Any
) -> None:
    problem = make_problem(analyst, title="Batteries swell")
    client.force_login(analyst)
    base = f"/incidents/{incident.pk}"
    response = client.post(
        f"{base}/triage/",
        {
            "triage-impact": 1,
            "triage-urgency": 1,
            "triage-service": service.pk,
            "triage-affected_users": 40,
            "triage-is_major": "on",
        },
    )
    assert response.status_code == 302
    response = client.post(f"{base}/link-problem/", {"link-problem-problem": problem.pk})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.priority, incident.is_major, incident.affected_users) == (1, True, 40)
    assert incident.problem == problem


def test_requester_confirms_and_rates_once(
    client: Client, requester: Any, analyst: Any, team: Any
) -> None:
    incident = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    client.force_login(requester)
    base = f"/incidents/{incident.pk}"
    html = client.get(f"{base}/").content.decode()
    assert "Confirm &amp; close" in html and "How did we do?" in html
    response = client.post(f"{base}/rate/", {"rate-rating": "5", "rate-comment": "Quick!"})
    assert response.status_code == 302
    rating = Satisfaction.objects.get()
    assert (rating.rating, rating.comment, rating.rated_by) == (5, "Quick!", requester)
    html = client.get(f"{base}/").content.decode()
    assert "How did we do?" not in html and "Rated <strong>5/5</strong>" in html
    again = client.post(f"{base}/rate/", {"rate-rating": "1"})
    assert again.status_code == 409 and Satisfaction.objects.count() == 1
    assert "You already rated this resolution. Thank you!" in page_text(again)
    assert client.post(f"{base}/close/").status_code == 302
    incident.refresh_from_db()
    assert incident.status == "closed"


def test_reopen_needs_a_reason(client: Client, requester: Any, analyst: Any, team: Any) -> None:
    incident = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    client.force_login(requester)
    base = f"/incidents/{incident.pk}"
    assert client.post(f"{base}/reopen/", {"reopen-reason": ""}).status_code == 400
    assert client.post(f"{base}/reopen/", {"reopen-reason": "Still broken"}).status_code == 302
    incident.refresh_from_db()
    assert incident.status == "assigned" and incident.reopened_count == 1


def test_unknown_action_is_404_and_get_goes_back_to_the_ticket(
    client: Client, incident: Incident, analyst: Any
) -> None:
    client.force_login(analyst)
    assert client.post(f"/incidents/{incident.pk}/explode/").status_code == 404
    # reloading a form's address after an error shows the ticket instead of a blank 405
    response = client.get(f"/incidents/{incident.pk}/resolve/")
    assert (response.status_code, response["Location"]) == (302, f"/incidents/{incident.pk}/")
    incident.refresh_from_db()
    assert incident.status != "resolved"


# --- queue: take, bulk, filters ---------------------------------------------------------
@pytest.fixture
def unassigned(requester: Any, service: Any) -> Incident:
    return make_incident(requester, title="VPN drops", service=service)


def test_take_without_javascript_redirects_back(
    client: Client, unassigned: Incident, analyst: Any
) -> None:
    client.force_login(analyst)
    html = client.get("/queue/unassigned/").content.decode()
    assert "VPN drops" in html and f"/incidents/{unassigned.pk}/take/" in html
    response = client.post(
        f"/incidents/{unassigned.pk}/take/", {"next": "/queue/unassigned/?q=VPN"}
    )
    assert response.status_code == 302 and response["Location"] == "/queue/unassigned/?q=VPN"
    unassigned.refresh_from_db()
    assert unassigned.assignee == analyst and unassigned.status == "assigned"
    evil = client.post(f"/incidents/{unassigned.pk}/take/", {"next": "https://evil.example/"})
    assert evil.status_code == 409  # already taken; and never redirected off-site
    assert f"{unassigned.ref} is already yours." in page_text(evil)


def test_take_with_htmx_swaps_the_row_and_reports_a_lost_race(
    client: Client, unassigned: Incident, analyst: Any, manager: Any
) -> None:
    client.force_login(analyst)
    response = client.post(f"/incidents/{unassigned.pk}/take/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="row-{unassigned.pk}"')
    assert "taken" in html and "<html" not in html
    client.force_login(manager)
    lost = client.post(f"/incidents/{unassigned.pk}/take/", HTTP_HX_REQUEST="true")
    assert lost.status_code == 409
    assert f"{unassigned.ref} was just taken by Analyst." in page_text(lost)
    unassigned.refresh_from_db()
    assert unassigned.assignee == analyst


def test_bulk_assign_and_link(
    client: Client, requester: Any, service: Any, analyst: Any, manager: Any
) -> None:
    first = make_incident(requester, title="One", service=service)
    second = make_incident(requester, title="Two", service=service)
    problem = make_problem(analyst)
    client.force_login(manager)
    url = "/queue/unassigned/"
    response = client.post(
        url,
        {"bulk-ids": [first.pk, second.pk], "bulk-action": "assign", "bulk-assignee": analyst.pk},
    )
    assert response.status_code == 302 and response["Location"] == url
    assert set(Incident.objects.values_list("assignee", flat=True)) == {analyst.pk}
    link = {"bulk-ids": [first.pk, second.pk], "bulk-action": "link", "bulk-problem": problem.pk}
    response = client.post(url, link)
    assert response.status_code == 200  # first what will happen to each row, nothing linked
    page = response.content.decode()
    assert "Link to PRB-" in page and page.count("Will be linked.") == 2
    assert set(Incident.objects.values_list("problem", flat=True)) == {None}
    response = client.post(url, {**link, "bulk-confirm": "on"})
    assert response.status_code == 302
    assert set(Incident.objects.values_list("problem", flat=True)) == {problem.pk}


def test_bulk_refusal_changes_nothing(
    client: Client, requester: Any, service: Any, analyst: Any, other_analyst: Any
) -> None:
    first = make_incident(requester, title="One", service=service)
    second = make_incident(requester, title="Two", service=service)
    client.force_login(other_analyst)  # not on the team that owns them
    response = client.post(
        "/queue/team/",
        {
            "bulk-ids": [first.pk, second.pk],
            "bulk-action": "assign",
            "bulk-assignee": other_analyst.pk,
        },
    )
    assert response.status_code == 403
    assert "Nothing was assigned." in response.content.decode()
    assert not Incident.objects.filter(assignee__isnull=False).exists()
    empty = client.post("/queue/team/", {"bulk-action": "assign", "bulk-assignee": analyst.pk})
    assert empty.status_code == 400 and "Tick at least one incident." in empty.content.decode()


def test_queue_filters_sorting_and_page_size(
    client: Client, requester: Any, service: Any, analyst: Any
) -> None:
    for n in range(30):
        make_incident(requester, title=f"Ticket {n:02d}", service=service, impact=4, urgency=4)
    make_incident(requester, title="Mail is down", service=service, impact=1, urgency=1)
    client.force_login(analyst)
    page = client.get("/queue/team/")
    assert len(page.context["page"].object_list) == 25
    assert page.context["page"].object_list[0].title == "Mail is down"  # P1 first
    assert len(client.get("/queue/team/?page_size=500").context["page"].object_list) == 31
    after = page.context["page"].next_token
    assert len(client.get(f"/queue/team/?after={after}").context["page"].object_list) == 6
    only_p1 = client.get("/queue/team/?priority=1").context["page"].object_list
    assert [i.title for i in only_p1] == ["Mail is down"]
    found = client.get("/queue/team/?q=Ticket+07").context["page"].object_list
    assert [i.title for i in found] == ["Ticket 07"]
    newest = client.get("/queue/team/?ordering=-created").context["page"].object_list
    assert newest[0].title == "Mail is down"
    oldest = client.get("/queue/team/?ordering=created").context["page"].object_list
    assert oldest[0].title == "Ticket 00"
    assert client.get("/queue/team/?older_than_days=1").context["page"].count == 0
    bad = client.get("/queue/team/?older_than_days=-3")
    assert bad.status_code == 400
    assert client.get("/queue/nonsense/").status_code == 404


# --- problems ---------------------------------------------------------------------------
def test_new_problem_owner_team_is_searched_not_listed(
    client: Client, analyst: Any, team: Any, other_team: Any
) -> None:
    client.force_login(analyst)
    html = client.get("/problems/new/").content.decode()
    assert 'name="owner_team_q"' in html and '<select name="owner_team"' not in html
    assert other_team.name not in html  # no team is listed until one types
    refused = client.post("/problems/new/", {"title": "Relay", "owner_team_q": "No such team"})
    assert refused.status_code == 400
    assert "No team is “No such team”" in page_text(refused)
    done = client.post("/problems/new/", {"title": "Relay", "owner_team_q": team.name.upper()})
    assert done.status_code == 302
    assert Problem.objects.get().owner_team == team  # without JS: the typed name, exactly


def test_problem_lifecycle_through_the_pages(
    client: Client, requester: Any, analyst: Any, service: Any, team: Any
) -> None:
    a = make_incident(requester, title="Mail bounces", service=service)
    b = make_incident(requester, title="Mail slow", service=service)
    client.force_login(analyst)
    response = client.post(
        "/problems/new/",
        {"title": "Relay overloaded", "services": [service.pk], "owner_team": team.pk},
    )
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/problems/{problem.pk}/"
    base = f"/problems/{problem.pk}"
    response = client.post(f"{base}/link/", {"link-refs": f"{a.ref}, {b.pk}"})
    assert response.status_code == 302
    assert set(problem.incidents.values_list("pk", flat=True)) == {a.pk, b.pk}
    assert client.post(f"{base}/link/", {"link-refs": "INC-x"}).status_code == 400
    assert client.post(f"{base}/investigate/").status_code == 302
    refused = client.post(f"{base}/mark_known_error/", {"mark_known_error-root_cause": ""})
    assert refused.status_code == 409
    assert "A known error needs its root cause recorded." in page_text(refused)
    response = client.post(
        f"{base}/mark_known_error/", {"mark_known_error-root_cause": "Queue too small"}
    )
    assert response.status_code == 302
    response = client.post(f"{base}/workaround/", {"workaround-workaround": "Resend later."})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.workaround == "Resend later."
    response = client.post(
        f"{base}/update/",
        {
            "update-description": "",
            "update-root_cause": "Queue too small",
            "update-permanent_fix": "Double the queue",
            "update-fix_change_ref": "CHG-000042",
        },
    )
    assert response.status_code == 302
    assert client.post(f"{base}/resolve/", {}).status_code == 302
    assert client.post(f"{base}/close/").status_code == 302
    problem.refresh_from_db()
    assert problem.status == "closed" and problem.fix_change_ref == "CHG-000042"
    html = client.get(f"{base}/").content.decode()
    assert "Mail bounces" in html and f"{base}/link/" not in html
    client.force_login(requester)  # the workaround reaches the requester's ticket
    assert "Resend later." in client.get(f"/incidents/{a.pk}/").content.decode()


def test_problem_list_filters(client: Client, analyst: Any) -> None:
    make_problem(analyst, title="Printers jam")
    other = make_problem(analyst, title="Mail relay")
    services.problem_investigate(problem=other, actor=analyst)
    client.force_login(analyst)
    titles = [p.title for p in client.get("/problems/").context["page"].object_list]
    assert titles == ["Mail relay", "Printers jam"]
    titles = [p.title for p in client.get("/problems/?status=new").context["page"].object_list]
    assert titles == ["Printers jam"]
    titles = [p.title for p in client.get("/problems/?q=relay").context["page"].object_list]
    assert titles == ["Mail relay"]


def test_requester_cannot_create_problems(client: Client, requester: Any) -> None:
    client.force_login(requester)
    for response in (client.get("/problems/new/"), client.post("/problems/new/", {"title": "x"})):
        assert response.status_code == 403
        assert "Problem management is for analysts and managers." in page_text(response)
    assert not Problem.objects.exists()


# --- navigation -------------------------------------------------------------------------
def test_navigation_and_home_links_by_role(
    client: Client, requester: Any, analyst: Any, manager: Any
) -> None:
    client.force_login(requester)
    html = client.get("/").content.decode()
    assert "Report a problem" in html and "My tickets" in html
    assert 'href="/queue/"' not in html and 'href="/problems/"' not in html
    for agent in (analyst, manager):
        client.force_login(agent)
        html = client.get("/").content.decode()
        assert html.count('href="/queue/"') >= 2 and 'href="/problems/"' in html


# --- query budgets ----------------------------------------------------------------------
def _fill(n: int, requester: Any, analyst: Any, service: Any) -> None:
    """``n`` P1 incidents assigned to the analyst and ``n`` unassigned, all on the team."""
    for k in range(n):
        taken = make_incident(requester, title=f"Taken {k}", service=service, impact=1, urgency=1)
        services.incident_assign(incident=taken, actor=analyst, assignee=analyst)
        make_incident(requester, title=f"Open {k}", service=service, impact=1, urgency=1)


# + the bell, the tab counts, the saved views, the services for the filter; the page is a
# bounded count, its ids (keyset), its rows. The filter's team and assignee and the bulk form's
# team, assignee and problem are choosers (searched as one types), so they list nothing: five
# queries fewer than with drop-downs of every team, person and problem. + the page's people
# (requesters, assignees) in one query after its rows (servicedesk.batching: not joined). + the
# retired teams, read once and written into the tabs' conditions as values (the planner then
# finds "no team" by its partial index: selectors.queue_conditions).
QUEUE_QUERIES = 14


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("tab", ["", "triage/", "unassigned/", "team/", "breaching/", "all/"])
def test_queue_query_count_is_constant(
    client: Client,
    django_assert_num_queries: Any,
    requester: Any,
    analyst: Any,
    service: Any,
    manager: Any,
    rows: int,
    tab: str,
) -> None:
    _fill(rows, requester, analyst, service)
    if tab == "triage/":  # tickets nobody routed: no service, no team
        for k in range(rows):
            make_incident(requester, title=f"Unrouted {k}")
    make_problem(manager)
    client.force_login(analyst)
    # "Breaching soon" is sorted by business time left in Python: one query for the due times
    # with their clocks (on PostgreSQL one statement, each clock read by its key as the due
    # index is walked; elsewhere the clocks by id after), one for the page's rows in full, none
    # to count them or to page them (selectors.breaching_soon).
    from django.db import connection

    one_statement = tab == "breaching/" and connection.vendor == "postgresql"
    with django_assert_num_queries(QUEUE_QUERIES - 1 if one_statement else QUEUE_QUERIES):
        response = client.get(f"/queue/{tab}?page_size=100")
    assert response.status_code == 200
    expected = rows * 2 if tab in ("team/", "breaching/", "all/") else rows
    assert response.context["page"].count == expected
    assert len(response.context["page"].object_list) == expected


# + the bell, waiting on you, the page's people (batched, not joined); the page is keyset: a
# bounded count, its ids, its rows (it was a count and an OFFSET page)
MINE_QUERIES = 11


@pytest.mark.parametrize("rows", [3, 30])
def test_my_tickets_query_count_is_constant(
    client: Client,
    django_assert_num_queries: Any,
    requester: Any,
    analyst: Any,
    service: Any,
    rows: int,
) -> None:
    _fill(rows, requester, analyst, service)
    client.force_login(requester)
    with django_assert_num_queries(MINE_QUERIES):
        response = client.get("/incidents/mine/?page_size=100")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == rows * 2


# + the bell and the watchers; analysts: + the canned replies offered, + the changes panel
# (the problem, person and team choosers list nothing: they are searched, see test_choosers).
# The incident is two queries (its row with the small related rows, then its people together):
# one more than the nine-table join it replaces, which cost more to plan than both to run.
# The timeline's events, then their actors (batched: joined, PostgreSQL hashed the whole user
# table for a ticket's few events).
TICKET_QUERIES = {"requester": 13, "analyst": 17}


@pytest.mark.parametrize("notes", [2, 20])
@pytest.mark.parametrize("who", ["requester", "analyst"])
def test_ticket_page_query_count_is_constant(
    request: pytest.FixtureRequest,
    django_assert_num_queries: Any,
    incident: Incident,
    analyst: Any,
    requester: Any,
    who: str,
    notes: int,
) -> None:
    for k in range(notes):
        services.incident_comment(incident=incident, actor=analyst, body=f"reply {k}")
        services.incident_comment(incident=incident, actor=requester, body=f"answer {k}")
        upload = SimpleUploadedFile(f"log{k}.txt", b"log", content_type="text/plain")
        services.incident_attach(incident=incident, actor=requester, upload=upload)
    client = client_for(request, who)
    with django_assert_num_queries(TICKET_QUERIES[who]):
        response = client.get(f"/incidents/{incident.pk}/")
    assert response.status_code == 200
    assert len(response.context["timeline"]) == 2 + 3 * notes  # created, assigned + the rest


def test_requester_cannot_take(client: Client, requester: Any, service: Any) -> None:
    incident = make_incident(requester, service=service)
    client.force_login(requester)
    refused = client.post(f"/incidents/{incident.pk}/take/")
    assert refused.status_code == 403
    assert "Only the assignee, the incident's team, its lead or an admin may do this." in page_text(
        refused
    )
    incident.refresh_from_db()
    assert incident.assignee is None and incident.status == "new"


def test_problem_page_shows_its_history(client: Client, analyst: Any) -> None:
    from incidents import services as incident_services

    from .factories import make_problem

    problem = make_problem(analyst)
    incident_services.problem_mark_known_error(
        problem=problem, actor=analyst, root_cause="Bad firmware"
    )
    client.force_login(analyst)
    html = client.get(f"/problems/{problem.pk}/").content.decode()
    assert "History" in html
    assert "Known error" in html and "Created: New" in html


def test_my_tickets_flags_overdue(client: Client, requester: Any) -> None:
    import time_machine
    from django.utils import timezone as tz

    from .factories import make_incident

    make_incident(requester, impact=1, urgency=1)  # P1: due within hours
    client.force_login(requester)
    assert "overdue" not in client.get("/incidents/mine/").content.decode()
    with time_machine.travel(tz.now() + timedelta(days=2), tick=False):
        assert "overdue" in client.get("/incidents/mine/").content.decode()
