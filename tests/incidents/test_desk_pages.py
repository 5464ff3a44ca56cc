"""Pages of the desk: log a call (with and without JavaScript), people search, known errors on
the report form ("me too"), canned replies, merge, unlink and the link previews, and what
phone-width pages put first. Query budgets for the new lists."""

import html
import re
from typing import Any

import pytest
from django.test import Client

from incidents import services
from incidents.models import Incident, IncidentEvent

from ..org.factories import BusinessServiceFactory, UserFactory
from .factories import incident_in, make_incident, make_problem

ROLES = ["requester", "analyst", "manager", "admin_user"]


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def service(team: Any) -> Any:
    return BusinessServiceFactory(slug="mail", name="Mail", owner_team=team)


@pytest.fixture
def caller(db: Any) -> Any:
    return UserFactory(
        username="ada", display_name="Ada Lovelace", first_name="Ada", email="ada@example.com"
    )


def published(actor: Any, workaround: str = "Use webmail meanwhile.", **kwargs: Any) -> Any:
    problem = make_problem(actor, **kwargs)
    services.problem_publish_workaround(problem=problem, actor=actor, workaround=workaround)
    problem.refresh_from_db()
    return problem


# --- log a call ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "expected"),
    [("requester", 403), ("analyst", 200), ("manager", 200), ("admin_user", 200)],
)
def test_log_call_is_for_the_desk(request: Any, client: Client, who: str, expected: int) -> None:
    client.force_login(request.getfixturevalue(who))
    response = client.get("/incidents/log/")
    assert response.status_code == expected
    if expected == 403:
        assert "Logging a call for someone is for analysts and managers." in text(response)


def test_log_call_without_javascript(
    client: Client, analyst: Any, caller: Any, service: Any
) -> None:
    client.force_login(analyst)
    found = client.post("/incidents/log/", {"caller_q": "ada@", "find": "1", "channel": "phone"})
    assert found.status_code == 200
    assert "Ada Lovelace" in text(found) and 'name="requester"' in text(found)
    assert not Incident.objects.exists()
    missing = client.post(
        "/incidents/log/", {"caller_q": "ada", "channel": "phone", "title": "Printer"}
    )
    assert missing.status_code == 400
    assert "Choose the caller from the list (type a name or e-mail, then Find)." in text(missing)
    done = client.post(
        "/incidents/log/",
        {
            "caller_q": "ada",
            "requester": caller.pk,
            "channel": "walk_in",
            "title": "Badge does not open doors",
            "description": "Since this morning.",
            "service": service.pk,
            "impact": 3,
            "urgency": 2,
        },
    )
    incident = Incident.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.requester, incident.reported_by, incident.channel) == (
        caller,
        analyst,
        "walk_in",
    )
    page = text(client.get(done["Location"], follow=True))
    assert f"{incident.ref} is logged for Ada Lovelace (walk-in)." in page
    assert "Logged by" in page and "Came in by" in page


def test_log_call_against_a_known_error(
    client: Client, analyst: Any, caller: Any, service: Any
) -> None:
    known = published(analyst, title="Payroll login fails", services=[service])
    withdrawn = make_problem(analyst, title="Old one")
    client.force_login(analyst)
    offered = text(client.get("/known-errors/match/?title=payroll+login&for=caller"))
    assert "The caller has this too" in offered and "This is happening to me too" not in offered
    form = {
        "requester": caller.pk,
        "channel": "chat",
        "title": "Payroll login",
        "impact": 3,
        "urgency": 3,
    }
    refused = client.post("/incidents/log/", {**form, "me_too": withdrawn.pk})
    assert refused.status_code == 400
    assert (
        "That known error no longer has a published workaround; send the report without it."
    ) in text(refused)
    assert not Incident.objects.exists()
    done = client.post("/incidents/log/", {**form, "me_too": known.pk})
    assert done.status_code == 302
    incident = Incident.objects.get()
    assert incident.problem == known and incident.workaround == "Use webmail meanwhile."
    assert incident.requester == caller and incident.channel == "chat"


@pytest.mark.parametrize("rows", [2, 9])
def test_people_search_fragment(
    client: Client, analyst: Any, rows: int, django_assert_num_queries: Any
) -> None:
    for n in range(rows):
        UserFactory(username=f"grace{n}", display_name=f"Grace Hopper {n}")
    UserFactory(username="gone", display_name="Grace Gone", is_active=False)
    client.force_login(analyst)
    client.get("/people/search/?caller_q=x")  # warm the session
    # session, user, the roles (3), the people (department joined)
    with django_assert_num_queries(6):
        response = client.get("/people/search/?caller_q=grace", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = text(response)
    assert body.count('name="requester"') == rows and "Grace Gone" not in body
    assert "Nobody matches" in text(client.get("/people/search/?caller_q=zzzz"))


def test_people_search_is_not_for_requesters(client: Client, requester: Any) -> None:
    client.force_login(requester)
    response = client.get("/people/search/?caller_q=ana")
    assert response.status_code == 403
    assert "Looking people up is for analysts and managers." in text(response)


# --- known errors on the report form -------------------------------------------------------
def test_report_without_javascript_shows_known_errors_before_sending(
    client: Client, requester: Any, analyst: Any, service: Any
) -> None:
    known = published(analyst, title="Outlook crashes on start", services=[service])
    client.force_login(requester)
    form = {
        "title": "Outlook crashes",
        "description": "Crash at start.",
        "service": service.pk,
        "severity": "blocked",
    }
    shown = client.post("/incidents/new/", form)
    assert shown.status_code == 200 and not Incident.objects.exists()
    body = text(shown)
    assert "Is it one of these known problems?" in body and "Outlook crashes on start" in body
    assert "Use webmail meanwhile." in body and "Send as a new report" in body

    me_too = client.post("/incidents/new/", {**form, "me_too": known.pk, "known_errors_shown": "1"})
    incident = Incident.objects.get()
    assert me_too.status_code == 302
    assert incident.problem == known and incident.workaround == "Use webmail meanwhile."
    page = text(client.get(me_too["Location"]))
    assert (
        f"Thank you: {incident.ref} is logged. It is a known error (Outlook crashes on start): "
        "the workaround is below."
    ) in page
    assert "Workaround" in page and "Use webmail meanwhile." in page

    new_one = client.post("/incidents/new/", {**form, "known_errors_shown": "1"})
    assert new_one.status_code == 302
    assert Incident.objects.count() == 2
    assert Incident.objects.order_by("-pk").first().problem is None  # type: ignore[union-attr]


def test_me_too_needs_no_description(
    client: Client, requester: Any, analyst: Any, service: Any
) -> None:
    known = published(analyst, title="Outlook crashes on start", services=[service])
    client.force_login(requester)
    response = client.post(
        "/incidents/new/",
        {"title": "Outlook crashes", "severity": "slow", "me_too": known.pk},
    )
    assert response.status_code == 302
    assert Incident.objects.get().problem == known
    without = client.post("/incidents/new/", {"title": "Chair", "severity": "slow"})
    assert without.status_code == 400 and Incident.objects.count() == 1


def test_report_with_no_match_is_sent_at_once(client: Client, requester: Any) -> None:
    client.force_login(requester)
    response = client.post(
        "/incidents/new/",
        {"title": "Chair is broken", "description": "Wobbles.", "severity": "minor"},
    )
    assert response.status_code == 302 and Incident.objects.count() == 1


def test_known_error_matches_fragment(
    client: Client, requester: Any, analyst: Any, service: Any
) -> None:
    published(analyst, title="Outlook crashes on start", services=[service])
    client.force_login(requester)
    hit = client.get(f"/known-errors/match/?title=outlook&service={service.pk}")
    assert "This is happening to me too" in text(hit) and 'name="known_errors_shown"' in text(hit)
    miss = client.get("/known-errors/match/?title=chair&service=x")
    assert miss.status_code == 200 and "me too" not in text(miss)


@pytest.mark.parametrize("rows", [2, 12])
def test_known_error_page(
    client: Client,
    requester: Any,
    analyst: Any,
    service: Any,
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    for n in range(rows):
        published(analyst, title=f"Known {n}", services=[service])
    secret = make_problem(analyst, title="Not published")
    client.force_login(requester)
    client.get("/known-errors/")
    # session, user, the roles for the menu (3), the bell's unread count, services for the
    # filter, count, page, services
    with django_assert_num_queries(10):
        response = client.get("/known-errors/")
    assert response.status_code == 200
    body = text(response)
    assert body.count('class="ke"') == rows and secret.title not in body
    filtered = text(client.get("/known-errors/?q=nothing-like-it"))
    assert "No known problems match these filters." in filtered


# --- canned replies ------------------------------------------------------------------------
def test_canned_replies_pages(
    client: Client, team: Any, manager: Any, analyst: Any, requester: Any
) -> None:
    client.force_login(manager)
    created = client.post(
        "/canned-replies/",
        {
            "new-team": team.pk,
            "new-title": "Reset",
            "new-body": "Hi {requester_first_name}",
            "new-is_active": "on",
        },
    )
    assert created.status_code == 302
    bad = client.post(
        "/canned-replies/", {"new-team": team.pk, "new-title": "Bad", "new-body": "Hi {who}"}
    )
    assert bad.status_code == 400 and "Unknown placeholder {who}." in text(bad)
    reply = team.canned_replies.get()
    edited = client.post(
        f"/canned-replies/{reply.pk}/",
        {"edit-team": team.pk, "edit-title": "Reset password", "edit-body": "Hello {title}"},
    )
    assert edited.status_code == 302
    reply.refresh_from_db()
    assert (reply.title, reply.is_active) == ("Reset password", False)

    client.force_login(analyst)
    listing = client.get("/canned-replies/")
    assert listing.status_code == 200 and "Reset password" in text(listing)
    assert "Team leads, managers and admins write canned replies." in text(listing)
    denied = client.post(
        "/canned-replies/", {"new-team": team.pk, "new-title": "x", "new-body": "y"}
    )
    assert denied.status_code == 403
    assert client.get(f"/canned-replies/{reply.pk}/").status_code == 403

    client.force_login(requester)
    assert client.get("/canned-replies/").status_code == 403

    client.force_login(manager)
    gone = client.post(f"/canned-replies/{reply.pk}/", {"delete": "1"})
    assert gone.status_code == 302 and not team.canned_replies.exists()


def test_canned_reply_goes_into_the_reply_box(
    client: Client, requester: Any, analyst: Any, manager: Any, team: Any
) -> None:
    requester.first_name = "Rita"
    requester.save(update_fields=["first_name"])
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    reply = services.canned_reply_create(
        actor=manager, team=team, title="Reboot", body="Hi {requester_first_name}, {reference}."
    )
    client.force_login(analyst)
    page = text(client.get(f"/incidents/{incident.pk}/"))
    assert "Desk: Reboot" in page
    filled = client.get(
        f"/incidents/{incident.pk}/?canned={reply.pk}&comment-body=Thanks for waiting.",
        HTTP_HX_REQUEST="true",
    )
    assert f"Thanks for waiting.\n\nHi Rita, {incident.ref}." in text(filled)
    assert client.get(f"/incidents/{incident.pk}/?canned=999999").status_code == 404
    client.force_login(requester)
    assert "Canned reply" not in text(client.get(f"/incidents/{incident.pk}/"))


# --- merge, unlink, link previews ----------------------------------------------------------
def test_merge_on_the_ticket_page(
    client: Client, requester: Any, other_requester: Any, analyst: Any, team: Any
) -> None:
    kept = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    duplicate = make_incident(other_requester, title="Same printer")
    client.force_login(analyst)
    assert "Merge into…" in text(client.get(f"/incidents/{duplicate.pk}/"))
    refused = client.post(f"/incidents/{duplicate.pk}/merge/", {"merge-into": duplicate.ref})
    assert refused.status_code == 409
    assert f"{duplicate.ref} cannot be merged into itself." in text(refused)
    unknown = client.post(f"/incidents/{duplicate.pk}/merge/", {"merge-into": "INC-999999"})
    assert unknown.status_code == 400
    assert "No incident INC-999999 to merge into." in text(unknown)
    bad = client.post(f"/incidents/{duplicate.pk}/merge/", {"merge-into": "nonsense"})
    assert bad.status_code == 400 and "Give a ticket reference such as INC-000123." in text(bad)
    done = client.post(
        f"/incidents/{duplicate.pk}/merge/", {"merge-into": kept.ref, "merge-note": "Same one"}
    )
    assert done.status_code == 302
    page = text(client.get(done["Location"]))
    assert (
        f"{duplicate.ref} is closed as a duplicate of {kept.ref}; Other follows {kept.ref} now "
        "and has been told."
    ) in page
    client.force_login(other_requester)
    mine = text(client.get(f"/incidents/{duplicate.pk}/"))
    assert f"Merged into {kept.ref}" in mine and f"You follow {kept.ref}" in mine
    assert client.get(f"/incidents/{kept.pk}/").status_code == 200  # as a watcher
    closed = client.post(f"/incidents/{duplicate.pk}/merge/", {"merge-into": kept.ref})
    assert closed.status_code == 409
    assert "Cannot merge an incident that is closed." in text(closed)


def test_link_moves_only_after_confirmation(client: Client, requester: Any, analyst: Any) -> None:
    old, new = make_problem(analyst, title="Old cause"), make_problem(analyst, title="New cause")
    incident = make_incident(requester)
    services.problem_link_incidents(problem=old, actor=analyst, incident_ids=[incident.pk])
    client.force_login(analyst)
    url = f"/incidents/{incident.pk}/link-problem/"
    preview = client.post(url, {"link-problem-problem": new.pk})
    assert preview.status_code == 200
    body = text(preview)
    assert f"Link to {new.ref}?" in body and f"Moves from {old.ref} (Old cause)." in body
    incident.refresh_from_db()
    assert incident.problem == old
    done = client.post(url, {"link-problem-problem": new.pk, "link-problem-confirm": "on"})
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.problem == new
    assert IncidentEvent.objects.filter(incident=incident, type="incident.problem_moved").exists()


def test_link_previews_the_workaround_and_sends_it_only_when_confirmed(
    client: Client, requester: Any, analyst: Any
) -> None:
    problem = published(analyst, workaround="Print from tray 2.")
    one, two = make_incident(requester, title="One"), make_incident(requester, title="Two")
    client.force_login(analyst)
    preview = client.post(
        f"/incidents/{one.pk}/link-problem/", {"link-problem-problem": problem.pk}
    )
    body = text(preview)
    assert "The workaround that will be sent" in body and "Print from tray 2." in body
    assert "Link and send the workaround" in body and "Link without sending" in body
    client.post(
        f"/incidents/{one.pk}/link-problem/",
        {"link-problem-problem": problem.pk, "link-problem-confirm": "on"},
    )
    one.refresh_from_db()
    assert one.problem == problem and one.workaround == ""
    sent = client.post(
        f"/incidents/{two.pk}/link-problem/",
        {
            "link-problem-problem": problem.pk,
            "link-problem-confirm": "on",
            "link-problem-send_workaround": "on",
        },
    )
    assert "The workaround was sent to the requester." in text(client.get(sent["Location"]))
    two.refresh_from_db()
    assert two.workaround == "Print from tray 2."


def test_problem_page_link_previews_moves(client: Client, requester: Any, analyst: Any) -> None:
    old, new = make_problem(analyst, title="Old"), make_problem(analyst, title="New")
    incident = make_incident(requester)
    services.problem_link_incidents(problem=old, actor=analyst, incident_ids=[incident.pk])
    client.force_login(analyst)
    preview = client.post(f"/problems/{new.pk}/link/", {"link-refs": incident.ref})
    assert preview.status_code == 200 and f"Moves from {old.ref} (Old)." in text(preview)
    client.post(f"/problems/{new.pk}/link/", {"link-refs": str(incident.pk), "link-confirm": "on"})
    incident.refresh_from_db()
    assert incident.problem == new


def test_bulk_link_shows_each_row_first(
    client: Client, requester: Any, analyst: Any, team: Any, service: Any
) -> None:
    old = make_problem(analyst, title="Old")
    problem = published(analyst, workaround="Reconnect.")
    fresh = make_incident(requester, title="Fresh", service=service)
    moving = make_incident(requester, title="Moving", service=service)
    services.problem_link_incidents(problem=old, actor=analyst, incident_ids=[moving.pk])
    client.force_login(analyst)
    form = {"bulk-ids": [fresh.pk, moving.pk], "bulk-action": "link", "bulk-problem": problem.pk}
    preview = client.post("/queue/all/", form)
    body = text(preview)
    assert preview.status_code == 200
    assert "Will be linked. The requester will receive the workaround." in body
    assert f"Moves from {old.ref} (Old). The requester will receive the workaround." in body
    assert "Move, link and send the workaround" in body
    assert set(Incident.objects.values_list("problem", flat=True)) == {None, old.pk}
    done = client.post("/queue/all/", {**form, "bulk-confirm": "on", "bulk-send_workaround": "on"})
    assert done.status_code == 302
    assert set(Incident.objects.values_list("workaround", flat=True)) == {"Reconnect."}


def test_unlink_on_the_ticket_page(client: Client, requester: Any, analyst: Any) -> None:
    problem = make_problem(analyst)
    incident = make_incident(requester)
    services.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[incident.pk])
    client.force_login(analyst)
    assert f"Unlink from {problem.ref}…" in text(client.get(f"/incidents/{incident.pk}/"))
    done = client.post(f"/incidents/{incident.pk}/unlink-problem/", {"unlink-problem-reason": "No"})
    assert done.status_code == 302
    assert f"{incident.ref} is no longer linked to {problem.ref}." in text(
        client.get(done["Location"])
    )
    again = client.post(f"/incidents/{incident.pk}/unlink-problem/")
    assert again.status_code == 409 and f"{incident.ref} is not linked to a problem." in text(again)
    client.force_login(requester)
    assert client.post(f"/incidents/{incident.pk}/unlink-problem/").status_code == 403


# --- small screens -------------------------------------------------------------------------
def test_status_and_assignee_come_before_the_reply_box(
    client: Client, requester: Any, analyst: Any, team: Any
) -> None:
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    client.force_login(requester)
    body = text(client.get(f"/incidents/{incident.pk}/"))
    glance = body.index('class="subline at-a-glance"')
    assert glance < body.index('id="reply"')
    strip = body[glance : body.index("</p>", glance)]
    assert "Assigned" in strip and "Analyst" in strip and "Expected fix" in strip


def test_my_tickets_keeps_status_and_expected_fix_on_phones(client: Client, requester: Any) -> None:
    make_incident(requester)
    client.force_login(requester)
    body = text(client.get("/incidents/mine/"))
    head = body[body.index("<thead>") : body.index("</thead>")]
    assert '<th scope="col">Status</th>' in head and '<th scope="col">Expected fix</th>' in head
    # below 760px the stylesheet shows one card per ticket instead, with every column in it
    start = body.index('<ul class="ticket-cards')
    cards = body[start : body.index("</ul>", start)]
    assert "<dt>Expected fix</dt>" in cards and "badge st-new" in cards and "P" in cards


# --- words: file kinds, durations, the priority matrix -------------------------------------
def test_report_form_names_allowed_file_kinds_in_plain_words(
    client: Client, requester: Any, settings: Any, tmp_path: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(requester)
    form = text(client.get("/incidents/new/"))
    allowed = (
        "pictures (PNG, JPEG, GIF or WebP), PDF documents, text files, CSV files, ZIP archives, "
        "JSON files, Word documents and Excel workbooks"
    )
    assert f"You can attach {allowed}." in form
    response = client.post(
        "/incidents/new/",
        {
            "title": "Installer fails",
            "description": "See the file.",
            "severity": "minor",
            "known_errors_shown": "1",
            "attachment": SimpleUploadedFile("setup.exe", b"MZ", "application/octet-stream"),
        },
    )
    assert response.status_code == 400
    assert f"“setup.exe” is a program, which cannot be attached. You can attach {allowed}." in (
        text(response)
    )
    assert "application/" not in text(response).split("<main")[1]
    assert not Incident.objects.exists()


def test_durations_read_and_typed_as_words(client: Client, admin_user: Any) -> None:
    from datetime import timedelta

    from incidents.models import ResolutionTarget

    client.force_login(admin_user)
    target = ResolutionTarget.objects.get(priority=1)
    page = text(client.get(f"/admin/incidents/resolutiontarget/{target.pk}/change/"))
    assert 'value="4 hours"' in page
    saved = client.post(
        f"/admin/incidents/resolutiontarget/{target.pk}/change/",
        {"priority": 1, "resolve_within": "1 day 4 hours"},
    )
    assert saved.status_code == 302
    target.refresh_from_db()
    assert target.resolve_within == timedelta(hours=28)
    bad = client.post(
        f"/admin/incidents/resolutiontarget/{target.pk}/change/",
        {"priority": 1, "resolve_within": "soon"},
    )
    assert bad.status_code == 200
    assert "Write a duration such as “4 hours”, “3 days” or “1 day 4 hours”." in text(bad)
    listing = text(client.get("/admin/incidents/resolutiontarget/"))
    assert 'value="3 days"' in listing and 'value="1 day 4 hours"' in listing


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4 hours", "4:00:00"),
        ("3 days", "3 days, 0:00:00"),
        ("1 day, 4 hours", "1 day, 4:00:00"),
        ("1d 4h", "1 day, 4:00:00"),
        ("90 minutes", "1:30:00"),
        ("2 weeks", "14 days, 0:00:00"),
    ],
)
def test_duration_words_round_trip(typed: str, expected: str) -> None:
    from servicedesk.durations import format_duration, parse_duration_words

    parsed = parse_duration_words(typed)
    assert str(parsed) == expected
    assert parse_duration_words(format_duration(parsed)) == parsed


@pytest.mark.parametrize("typed", ["", "soon", "4", "4 fortnights", "hours 4", "4 hours later"])
def test_duration_words_refuse_what_they_cannot_read(typed: str) -> None:
    from servicedesk.durations import parse_duration_words

    with pytest.raises(ValueError):
        parse_duration_words(typed)


def test_priority_matrix_is_edited_as_a_grid(
    client: Client, admin_user: Any, analyst: Any, requester: Any
) -> None:
    from incidents.selectors import priority_matrix

    client.force_login(admin_user)
    page = text(client.get("/priority-matrix/"))
    assert page.count("<select") == 16 and "Impact ↓ · Urgency →" in page
    admin_list = text(client.get("/admin/incidents/priorityrule/"))
    assert "Edit as an impact \N{MULTIPLICATION SIGN} urgency grid" in admin_list
    grid = {f"cell-{i}-{u}": str(p) for (i, u), p in priority_matrix().items()}
    grid["cell-4-4"] = "3"
    saved = client.post("/priority-matrix/", grid)
    assert saved.status_code == 302
    assert "Priority matrix saved: 1 cell changed." in text(client.get(saved["Location"]))
    assert priority_matrix()[(4, 4)] == 3
    del grid["cell-1-1"]
    incomplete = client.post("/priority-matrix/", grid)
    assert incomplete.status_code == 400
    assert "The matrix needs every cell; missing: impact 1 with urgency 1." in text(incomplete)
    for who in (analyst, requester):
        client.force_login(who)
        denied = client.get("/priority-matrix/")
        assert denied.status_code == 403
        assert "Only admins change the priority matrix." in text(denied)


@pytest.mark.parametrize("rows", [2, 12])
def test_canned_reply_page_query_count_is_constant(
    client: Client,
    team: Any,
    other_team: Any,
    manager: Any,
    admin_user: Any,
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    for n in range(rows):
        services.canned_reply_create(
            actor=admin_user, team=team if n % 2 else other_team, title=f"Reply {n}", body="x"
        )
    client.force_login(manager)
    client.get("/canned-replies/")
    # session, user, the roles for the menu (3), the bell's unread count, may-manage (Managers
    # group), the teams they may write for (form choices + the id set), count, page
    with django_assert_num_queries(11):
        response = client.get("/canned-replies/")
    assert response.status_code == 200
    body = text(response)
    assert body.count("<tr>") == rows + 1  # every team's replies are listed
    assert len(re.findall(r'href="/canned-replies/\d+/"', body)) == rows // 2  # own team's editable
