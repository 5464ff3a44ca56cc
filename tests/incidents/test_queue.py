"""Nothing falls through: the triage tab, counts on every tab, time left, the requester-replied
flag, the self-refreshing table, select-all and saved views (page and API)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from incidents import selectors, services
from incidents.choices import OPEN_STATUSES
from incidents.models import Incident, SavedView
from incidents.templatetags.queue_tags import span
from org.models import User

from ..org.factories import BusinessServiceFactory
from .factories import incident_in, make_incident


@pytest.fixture
def service(team: Any) -> Any:
    return BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)


def test_triage_tab_catches_tickets_without_a_team_oldest_first(
    client: Client, requester: Any, analyst: Any, service: Any
) -> None:
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=2), tick=False):
        old = make_incident(requester, title="Old unrouted", impact=4, urgency=4)
    with time_machine.travel(now - timedelta(hours=1), tick=False):
        new = make_incident(requester, title="New unrouted", impact=1, urgency=1)
    make_incident(requester, title="Routed", service=service)
    client.force_login(analyst)
    response = client.get("/queue/triage/")
    assert response.status_code == 200
    assert [i.pk for i in response.context["page"].object_list] == [old.pk, new.pk]
    html = response.content.decode()
    assert "Triage (no team)" in html and "Routed" not in html


def test_every_open_ticket_is_in_a_working_tab(
    requester: Any, analyst: Any, other_analyst: Any, team: Any, other_team: Any, service: Any
) -> None:
    """Whoever's team it is (or the triage tab, for nobody's) sees every open ticket."""
    make_incident(requester)  # no team
    make_incident(requester, service=service)  # the team's, unassigned
    incident_in("pending", requester=requester, analyst=analyst, team=team)
    incident_in("in_progress", requester=requester, analyst=other_analyst, team=other_team)
    incident_in("resolved", requester=requester, analyst=analyst, team=team)
    open_ids = set(Incident.objects.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True))
    seen: set[int] = set()
    for person in (analyst, other_analyst):
        for tab in ("triage", "team"):
            seen |= {i.pk for i in selectors.incident_queue(user=person, queue=tab)}
    assert seen == open_ids and len(open_ids) == 4


def test_a_retired_teams_tickets_go_to_triage(
    requester: Any, analyst: Any, other_analyst: Any, other_team: Any
) -> None:
    stranded = make_incident(requester, team=other_team, actor=other_analyst)
    other_team.is_active = False
    other_team.save(update_fields=["is_active"])
    assert list(selectors.incident_queue(user=analyst, queue="triage")) == [stranded]
    assert selectors.queue_counts(user=analyst)["triage"] == 1


def test_breaching_soon_includes_tickets_without_a_team(requester: Any, analyst: Any) -> None:
    unrouted = make_incident(requester, impact=1, urgency=1)  # P1: due within hours
    assert list(selectors.incident_queue(user=analyst, queue="breaching")) == [unrouted]


def test_breaching_soon_page_applies_the_filters(
    client: Client, requester: Any, analyst: Any
) -> None:
    """The page's filters narrow the candidates "breaching soon" walks (selectors.breaching_soon
    reads them in one statement on PostgreSQL): a priority filter keeps only that priority."""
    urgent = make_incident(requester, impact=1, urgency=1, title="Urgent one")
    other = make_incident(requester, impact=1, urgency=1, title="Downgraded one")
    Incident.objects.filter(pk=other.pk).update(priority=2)
    client.force_login(analyst)
    html = client.get("/queue/breaching/").content.decode()
    assert f"/incidents/{urgent.pk}/" in html and f"/incidents/{other.pk}/" in html
    html = client.get("/queue/breaching/?priority=1").content.decode()
    assert f"/incidents/{urgent.pk}/" in html and f"/incidents/{other.pk}/" not in html


def test_breaching_soon_says_when_more_are_at_risk_than_it_lists(
    client: Client, requester: Any, analyst: Any, monkeypatch: Any
) -> None:
    """In its own order the tab lists the first BREACHING_ROWS_MAX at risk: its total reads
    "2+ in all" when more are at risk than it lists, "2 in all" when it lists them all; a sort
    of the user's choosing pages through every one."""
    import importlib

    # the module (incidents.views re-exports its view function under the same name)
    views = importlib.import_module("incidents.views.queue")
    monkeypatch.setattr(views, "BREACHING_ROWS_MAX", 2)
    urgent = [make_incident(requester, impact=1, urgency=1, title=f"Urgent {k}") for k in range(3)]
    client.force_login(analyst)
    html = client.get("/queue/breaching/").content.decode()
    assert "2+ in all" in html
    assert sum(f"/incidents/{i.pk}/" in html for i in urgent) == 2
    html = client.get("/queue/breaching/?ordering=due").content.decode()
    assert "3 in all" in html
    assert all(f"/incidents/{i.pk}/" in html for i in urgent)
    services.incident_cancel(incident=urgent[0], actor=requester, reason="sorted itself out")
    html = client.get("/queue/breaching/").content.decode()
    assert "2 in all" in html and "2+ in all" not in html


def test_breaching_soon_reads_the_clock_parts_still_running(
    requester: Any, analyst: Any, team: Any
) -> None:
    """At risk: the resolution clock while not stopped, the response clock while nobody has
    responded; an incident without a clock by its due time (incidents.at_risk). The tab's
    rows and its count agree."""
    from incidents.models import IncidentSla

    now = timezone.now()
    past, future = now - timedelta(minutes=5), now + timedelta(days=1)

    def clocked(title: str, **clock: Any) -> Incident:
        incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
        Incident.objects.filter(pk=incident.pk).update(title=title, due_at=now)
        IncidentSla.objects.update_or_create(
            incident=incident, defaults={"started_at": now - timedelta(hours=1), **clock}
        )
        return incident

    def unclocked(title: str, due_at: Any) -> Incident:
        incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
        IncidentSla.objects.filter(incident=incident).delete()
        Incident.objects.filter(pk=incident.pk).update(title=title, due_at=due_at)
        return incident

    resolution = clocked("resolution at risk", resolution_at_risk_at=past)
    response = clocked("response at risk", response_at_risk_at=past, resolution_at_risk_at=future)
    unclocked_soon = unclocked("no clock, due in 3 hours", now + timedelta(hours=3))
    expected = {resolution.pk, response.pk, unclocked_soon.pk}
    clocked("stopped", resolution_at_risk_at=past, stopped_at=now, response_at_risk_at=future)
    clocked("responded", response_at_risk_at=past, responded_at=now, resolution_at_risk_at=future)
    clocked("a clock without targets")  # due now, but its clock decides: nothing at risk
    unclocked("no clock, due in 2 days", now + timedelta(days=2))
    unclocked("no clock, no due time", None)
    rows = selectors.incident_queue(user=analyst, queue="breaching")
    assert {i.pk for i in rows} == expected, [i.title for i in rows]
    assert selectors.queue_counts(user=analyst)["breaching"] == 3
    # ... and the tab's page, which reads the candidates and their clocks in one statement on
    # PostgreSQL (selectors.breaching_soon): the same three, by due time, with their clocks
    conditions = selectors.queue_conditions(user=analyst)
    candidates = selectors.breaching_candidates(user=analyst, filters={}, conditions=conditions)
    soon = selectors.breaching_soon(candidates, limit=500)
    assert [pk for pk, _, _ in soon] == [resolution.pk, response.pk, unclocked_soon.pk]
    states = {pk: state for pk, _, state in soon}
    assert states[unclocked_soon.pk] is None
    assert states[resolution.pk].stopped_at is None and states[response.pk].responded_at is None
    assert [pk for pk, _, _ in selectors.breaching_soon(candidates, limit=2)] == [
        resolution.pk,
        response.pk,
    ]


def test_breaching_soon_reads_the_instant_on_the_row(analyst: Any) -> None:
    """The "breaching soon" condition reads the at-risk instant kept on the incident row
    (incidents.at_risk) among the running tickets, which the at-risk index holds: no clock,
    no join (joined, PostgreSQL hashed every clock and walked every open incident)."""
    rows = selectors.incident_queue(user=analyst, queue="breaching")
    sql = str(rows.select_related(None).values("pk").query)  # as the tab counts it
    assert " JOIN " not in sql and "incidents_incidentsla" not in sql, sql
    assert '"incidents_incident"."at_risk_at" <= ' in sql, sql
    assert '"incidents_incident"."status" IN (new, assigned, in_progress) ' in sql, sql


def test_every_tab_shows_its_count(
    client: Client, requester: Any, analyst: Any, team: Any, service: Any
) -> None:
    make_incident(requester)
    make_incident(requester, service=service)
    incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    client.force_login(analyst)
    response = client.get("/queue/")
    tabs = {t["key"]: t["count"] for t in response.context["tabs"]}
    assert tabs == {
        "mine": 1,
        "triage": 1,
        "unassigned": 1,
        "team": 2,
        "breaching": 0,
        "all": 3,
    }
    html = response.content.decode()
    assert 'Triage (no team) <span class="count" aria-label="1 open">1</span>' in html
    assert 'All open <span class="count" aria-label="3 open">3</span>' in html


def test_tab_counts_stop_at_the_bound(
    client: Client, requester: Any, analyst: Any, team: Any, service: Any, monkeypatch: Any
) -> None:
    """Like a page's total, a tab's count reads at most COUNT_LIMIT + 1 rows ("2+")."""
    from servicedesk import pagination

    monkeypatch.setattr(pagination, "COUNT_LIMIT", 2)
    for _ in range(3):
        make_incident(requester, service=service)
    make_incident(requester)
    assert selectors.queue_counts(user=analyst) == {
        "mine": 0,
        "triage": 1,
        "unassigned": 3,
        "team": 3,
        "breaching": 0,
        "all": 3,
    }
    client.force_login(analyst)
    html = client.get("/queue/").content.decode()
    assert 'All open <span class="count" aria-label="2+ open">2+</span>' in html
    assert 'Triage (no team) <span class="count" aria-label="1 open">1</span>' in html


def test_time_left_reads_as_a_duration() -> None:
    assert span(timedelta(days=2, hours=4, minutes=5)) == "2 d 4 h"
    assert span(timedelta(days=3)) == "3 d"
    assert span(timedelta(hours=3, minutes=20)) == "3 h 20 min"
    assert span(timedelta(hours=5)) == "5 h"
    assert span(timedelta(minutes=45, seconds=30)) == "45 min"


def test_queue_rows_show_time_left_and_overdue(
    client: Client, requester: Any, analyst: Any, service: Any
) -> None:
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now - timedelta(days=10), tick=False):
        late = make_incident(requester, title="Late one", service=service)
    with time_machine.travel(now, tick=False):
        soon = make_incident(requester, title="P1 one", service=service, impact=1, urgency=1)
        later = make_incident(requester, title="P4 one", service=service, impact=4, urgency=4)
        client.force_login(analyst)
        html = client.get("/queue/team/").content.decode()
    assert f"overdue by {span(now - late.due_at)}</span>" in html
    for incident, css in ((soon, "soon"), (later, "")):
        assert (
            f'<span class="time-left {css}" title="due {incident.due_at:%d %b %H:%M}">'
            f"{span(incident.due_at - now)} left</span>"
        ) in html


def test_requester_replied_flag_is_set_by_their_reply_and_cleared_by_the_desk(
    client: Client, requester: Any, analyst: Any, team: Any
) -> None:
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    services.incident_comment(incident=incident, actor=requester, body="Any news?")
    incident.refresh_from_db()
    first = incident.requester_replied_at
    assert first is not None
    services.incident_comment(incident=incident, actor=requester, body="Hello?")
    incident.refresh_from_db()
    assert incident.requester_replied_at == first  # the oldest unanswered reply counts
    client.force_login(analyst)
    html = client.get("/queue/").content.decode()
    assert ">requester replied</span>" in html
    services.incident_comment(incident=incident, actor=analyst, body="Checking", internal=True)
    incident.refresh_from_db()
    assert incident.requester_replied_at == first  # a note is no answer
    services.incident_comment(incident=incident, actor=analyst, body="On it today.")
    incident.refresh_from_db()
    assert incident.requester_replied_at is None
    assert ">requester replied</span>" not in client.get("/queue/").content.decode()


def test_resolving_answers_the_requester(requester: Any, analyst: Any, team: Any) -> None:
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    services.incident_comment(incident=incident, actor=requester, body="Still broken")
    services.incident_resolve(incident=incident, actor=analyst, code="fixed", notes="Done.")
    incident.refresh_from_db()
    assert incident.requester_replied_at is None


def test_queue_refreshes_itself_and_pauses_while_rows_are_ticked(
    client: Client, requester: Any, analyst: Any, service: Any, django_assert_num_queries: Any
) -> None:
    make_incident(requester, service=service)
    client.force_login(analyst)
    html = client.get("/queue/team/?priority=3").content.decode()
    assert 'id="queue-results"' in html
    assert 'hx-get="/queue/team/?priority=3"' in html
    # the pause and select-all live in static/js/app.js (the CSP forbids inline handlers/eval)
    assert 'hx-trigger="every 30s" data-pause-while-ticked' in html
    assert 'id="select-all" aria-label="Select all on this page" data-select-all="bulk-ids"' in html
    assert "hx-on" not in html
    # the refresh answers with the table only, without tab counts or saved views
    client.get("/queue/team/")
    # session, user, roles (3), the retired teams (written into the tab's condition as values:
    # selectors.queue_conditions), count, page ids, page rows, their people (batched, not joined)
    with django_assert_num_queries(10):
        partial = client.get(
            "/queue/team/?priority=3", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results"
        )
    body = partial.content.decode()
    assert body.startswith('<section class="card" id="queue-results"')
    assert "<html" not in body and "Printer on floor 2 jams" in body


# --- saved views: page --------------------------------------------------------------------
def test_save_a_view_from_the_queue_page_and_open_it(
    client: Client, analyst: Any, team: Any
) -> None:
    client.force_login(analyst)
    response = client.post(
        "/queue/views/",
        {"name": "My P1s", "tab": "team", "query": "priority=1&ordering=-due&page=3&bogus=1"},
    )
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.tab, view.filters, view.ordering) == (
        analyst,
        "My P1s",
        "team",
        {"priority": "1"},
        "-due",
    )
    assert response.status_code == 302
    assert response["Location"] == "/queue/team/?priority=1&ordering=-due"
    html = client.get(response["Location"]).content.decode()
    assert "Saved the view “My P1s”." in html
    assert '<a href="/queue/team/?priority=1&amp;ordering=-due">My P1s</a>' in html
    again = client.post("/queue/views/", {"name": "My P1s", "tab": "team", "query": ""})
    assert again.status_code == 302
    assert (
        "You already have a view called “My P1s”." in client.get(again["Location"]).content.decode()
    )
    response = client.post(f"/queue/views/{view.pk}/delete/", {"next": "/queue/team/"})
    assert response["Location"] == "/queue/team/" and not SavedView.objects.exists()


def test_requester_cannot_save_views(client: Client, requester: Any) -> None:
    client.force_login(requester)
    response = client.post("/queue/views/", {"name": "x", "tab": "team", "query": ""})
    assert response.status_code == 403 and not SavedView.objects.exists()


def test_someone_elses_view_cannot_be_deleted(
    client: Client, analyst: Any, other_analyst: Any
) -> None:
    view = services.saved_view_create(actor=other_analyst, name="Theirs", tab="all", filters={})
    client.force_login(analyst)
    assert client.post(f"/queue/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


# --- saved views: API ---------------------------------------------------------------------
def test_api_saved_views_crud(api: Any, analyst: Any, other_analyst: Any, team: Any) -> None:
    client = api(analyst)
    created = client.post(
        "/api/v1/saved-views/",
        {
            "name": "Oldest",
            "tab": "triage",
            "filters": {"older_than_days": "2"},
            "ordering": "created",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["queue_url"] == "/queue/triage/?older_than_days=2&ordering=created"
    assert created["Location"] == body["url"] == f"/api/v1/saved-views/{body['id']}/"
    assert (body["name"], body["tab"], body["filters"], body["ordering"]) == (
        "Oldest",
        "triage",
        {"older_than_days": "2"},
        "created",
    )
    pk = body["id"]
    services.saved_view_create(actor=other_analyst, name="Theirs", tab="all", filters={})
    listing = client.get("/api/v1/saved-views/").json()
    assert [v["name"] for v in listing["results"]] == ["Oldest"]
    renamed = client.patch(f"/api/v1/saved-views/{pk}/", {"name": "Stale"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Stale"
    assert renamed.json()["filters"] == {"older_than_days": "2"}
    assert client.get(f"/api/v1/saved-views/{pk}/").json()["name"] == "Stale"
    assert client.delete(f"/api/v1/saved-views/{pk}/").status_code == 204
    assert client.get(f"/api/v1/saved-views/{pk}/").status_code == 404


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        (
            {"name": "x", "tab": "nowhere"},
            400,
            "Unknown tab 'nowhere'; choose one of: mine, triage, unassigned, team, breaching, all.",
        ),
        (
            {"name": "x", "tab": "all", "filters": {"colour": "red"}},
            400,
            "Unknown filters: colour.",
        ),
        (
            {"name": "x", "tab": "all", "filters": {"priority": "9"}},
            400,
            "Some filters are not valid.",
        ),
        (
            {"name": "x", "tab": "all", "ordering": "title"},
            400,
            "Unknown sort 'title'; choose one of: -created, -due, -priority, -status, -updated, "
            "created, due, priority, status, updated.",
        ),
    ],
)
def test_api_saved_view_refusals(
    api: Any, analyst: Any, payload: dict[str, Any], status: int, message: str
) -> None:
    response = api(analyst).post("/api/v1/saved-views/", payload, format="json")
    assert response.status_code == status
    assert response.json()["message"] == message
    assert not SavedView.objects.exists()


def test_api_saved_view_duplicate_name_is_a_conflict(api: Any, analyst: Any) -> None:
    client = api(analyst)
    assert (
        client.post("/api/v1/saved-views/", {"name": "A", "tab": "all"}, format="json").status_code
        == 201
    )
    dup = client.post("/api/v1/saved-views/", {"name": "A", "tab": "mine"}, format="json")
    assert dup.status_code == 409
    assert dup.json() == {
        "code": "saved_view.duplicate_name",
        "message": "You already have a view called “A”.",
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 401), ("requester", 403), ("analyst", 200), ("manager", 200), ("admin", 200)],
)
def test_api_saved_views_permission_matrix(
    api: Any, request: pytest.FixtureRequest, who: str, expected: int, other_analyst: Any
) -> None:
    user = (
        None
        if who == "anonymous"
        else request.getfixturevalue("admin_user" if who == "admin" else who)
    )
    theirs = services.saved_view_create(actor=other_analyst, name="Theirs", tab="all", filters={})
    client = api(user)
    assert client.get("/api/v1/saved-views/").status_code == expected
    created = client.post("/api/v1/saved-views/", {"name": "Mine", "tab": "all"}, format="json")
    assert created.status_code == (201 if expected == 200 else expected)
    # another analyst's view does not exist for you
    other = client.get(f"/api/v1/saved-views/{theirs.pk}/").status_code
    assert other == (404 if expected == 200 else expected)
    assert client.delete(f"/api/v1/saved-views/{theirs.pk}/").status_code == (
        404 if expected == 200 else expected
    )


@pytest.mark.parametrize("rows", [2, 20])
def test_api_saved_views_query_count(
    api: Any, analyst: Any, rows: int, django_assert_num_queries: Any
) -> None:
    for k in range(rows):
        services.saved_view_create(actor=analyst, name=f"View {k}", tab="all", filters={})
    client = api(User.objects.get(pk=analyst.pk))  # roles not yet known
    with django_assert_num_queries(5):  # roles (groups, teams, led teams), count, page
        response = client.get("/api/v1/saved-views/")
    assert response.json()["count"] == rows


def test_saved_view_service_checks_the_name(analyst: Any) -> None:
    from servicedesk.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        services.saved_view_create(actor=analyst, name="  ", tab="all", filters={})
    assert refused.value.message == "Give the view a name."
    with pytest.raises(ValidationFailed) as refused:
        services.saved_view_create(actor=analyst, name="x" * 61, tab="all", filters={})
    assert refused.value.message == "A view's name has at most 60 characters."


def test_api_shows_and_filters_the_requester_replied_flag(
    api: Any, requester: Any, analyst: Any, team: Any
) -> None:
    waiting = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    quiet = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    services.incident_comment(incident=waiting, actor=requester, body="Any news?")
    client = api(analyst)
    replied = client.get("/api/v1/incidents/?requester_replied=true").json()
    assert [i["id"] for i in replied["results"]] == [waiting.pk]
    assert replied["results"][0]["requester_replied_at"] is not None
    others = client.get("/api/v1/incidents/?requester_replied=false").json()
    assert [i["id"] for i in others["results"]] == [quiet.pk]


# --- choosers, not drop-downs (issue 9) ---------------------------------------------------
def test_queue_forms_search_people_and_problems_instead_of_listing_them(
    client: Client, requester: Any, analyst: Any, team: Any, service: Any
) -> None:
    from ..org.factories import UserFactory
    from .factories import make_problem

    colleague = UserFactory(username="bea", display_name="Bea Colleague")
    team.members.add(colleague)

    mine = make_incident(requester, title="Mine to filter", service=service)
    services.incident_assign(incident=mine, actor=analyst, assignee=analyst)
    other = make_incident(requester, title="Somebody else's", service=service)
    problem = make_problem(analyst, title="Relay full")
    client.force_login(analyst)
    html = client.get("/queue/all/").content.decode()
    # no drop-down lists the people, the teams or the problems: search boxes for htmx
    assert "<select" not in html.split('id="bulk-h"')[1].split("</form>")[0]
    for name in ("assignee_id", "team_id", "bulk-team", "bulk-assignee", "bulk-problem"):
        assert f'name="{name}_q"' in html and f'<select name="{name}"' not in html
    assert analyst.email not in html and problem.title not in html

    # without JavaScript: the typed username (or e-mail address) filters the queue
    page = client.get(f"/queue/all/?assignee_id_q={analyst.username}")
    assert page.status_code == 200
    assert [i.pk for i in page.context["page"].object_list] == [mine.pk]
    chosen = client.get(f"/queue/all/?assignee_id={analyst.pk}&team_id_q={team.name}")
    assert [i.pk for i in chosen.context["page"].object_list] == [mine.pk]
    assert f'value="{analyst.pk}" id="id_assignee_id_{analyst.pk}" checked' in (
        chosen.content.decode()
    )
    # a name nobody has: a clear 400, not an empty queue
    refused = client.get("/queue/all/?assignee_id_q=nobody-at-all")
    assert refused.status_code == 400
    assert "No person is “nobody-at-all”" in refused.content.decode()

    # the bulk form: a typed username assigns, a typed reference links
    done = client.post(
        "/queue/all/",
        {"bulk-ids": [other.pk], "bulk-action": "assign", "bulk-assignee_q": colleague.email},
    )
    assert done.status_code == 302
    other.refresh_from_db()
    assert other.assignee_id == colleague.pk
    linked = client.post(
        "/queue/all/",
        {"bulk-ids": [other.pk], "bulk-action": "link", "bulk-problem_q": problem.ref},
    )
    assert linked.status_code == 200 and "Link to" in linked.content.decode()  # what happens
    linked = client.post(
        "/queue/all/",
        {
            "bulk-ids": [other.pk],
            "bulk-action": "link",
            "bulk-problem": problem.pk,
            "bulk-confirm": "on",
        },
    )
    assert linked.status_code == 302
    other.refresh_from_db()
    assert other.problem_id == problem.pk
    missing = client.post(
        "/queue/all/",
        {"bulk-ids": [mine.pk], "bulk-action": "link", "bulk-problem_q": "PRB-999999"},
    )
    assert missing.status_code == 400
    assert "No problem is “PRB-999999”" in missing.content.decode()


_instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)
_durations = st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10))


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    computed_at=_instants,
    now=_instants,
    targets=st.tuples(_durations, _durations),
    spent=st.tuples(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
    ),
    marks=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_time_left_on_a_round_the_clock_calendar_is_the_general_count(
    computed_at: datetime,
    now: datetime,
    targets: tuple[Any, Any],
    spent: tuple[timedelta, timedelta],
    marks: tuple[bool, bool, bool],
) -> None:
    """A 24 x 7 clock's time left, computed by subtraction for both parts at once
    (selectors.sla_time_left: "breaching soon" sorts 500 of them), is what the general count
    gives (incidents.sla.remaining_now over the business-time walk)."""
    from incidents.sla import remaining_now

    responded, stopped, paused = marks
    state = selectors.ClockState(
        calendar_id=None,
        computed_at=computed_at,
        paused_since=computed_at if paused else None,
        response_elapsed=spent[0],
        response_target=targets[0],
        responded_at=computed_at if responded else None,
        resolution_elapsed=spent[1],
        resolution_target=targets[1],
        stopped_at=computed_at if stopped else None,
    )
    spec = selectors.always_calendar()
    running = not paused and not stopped

    def general(target: Any, elapsed: timedelta, done: bool) -> Any:
        if target is None or done:
            return None
        return remaining_now(
            spec,
            target=target,
            elapsed_at_compute=elapsed,
            computed_at=computed_at,
            now=now,
            running=running,
        )

    assert selectors.sla_time_left(state, now, {}) == (
        general(targets[0], spent[0], responded),
        general(targets[1], spent[1], stopped),
    )


def test_the_tab_counts_written_in_sql_are_the_conditions_counts(
    require_postgres: Any,
    requester: Any,
    analyst: Any,
    other_analyst: Any,
    manager: Any,
    admin_user: Any,
    team: Any,
    other_team: Any,
    in_group: Any,
    monkeypatch: Any,
) -> None:
    """On PostgreSQL the tab counts are one statement written once (selectors.QUEUE_COUNT_SQL),
    not compiled from the tab conditions on every page: for everyone, whatever their teams, the
    retired teams, the statuses and what is at risk, they count what the conditions count, and
    stop at the cap as those do."""
    from org.choices import Role
    from org.models import Team

    from ..org.factories import TeamFactory, UserFactory

    retired = TeamFactory(slug="old-desk", name="Old desk")
    old_hand = UserFactory(username="oldhand")
    retired.members.add(old_hand)
    for status in ("new", "assigned", "in_progress", "pending", "resolved"):
        for owner, member in ((team, analyst), (other_team, other_analyst), (retired, old_hand)):
            incident_in(status, requester=requester, analyst=member, team=owner)
    make_incident(requester)  # nobody's
    make_incident(requester, title="nobody's, at risk")
    other_team.members.add(analyst)  # the analyst's own in another team, then not a member
    member = User.objects.get(pk=analyst.pk)
    incident_in("in_progress", requester=requester, analyst=member, team=other_team)
    other_team.members.remove(analyst)
    from incidents.models import IncidentSla

    past = timezone.now() - timedelta(minutes=1)
    IncidentSla.objects.filter(incident__title="nobody's, at risk").delete()
    Incident.objects.filter(title="nobody's, at risk").update(due_at=past)  # no clock
    IncidentSla.objects.filter(incident__in=Incident.objects.filter(team=team)).update(
        resolution_at_risk_at=past
    )
    Team.objects.filter(pk=retired.pk).update(is_active=False)
    teamless_agent = in_group(UserFactory(username="floater"), Role.MANAGER)
    people = [analyst, other_analyst, manager, admin_user, teamless_agent]
    seen = []
    for person in people:
        person = User.objects.get(pk=person.pk)
        conditions = selectors.queue_conditions(user=person)
        assert conditions.retired == (retired.pk,)
        counts = selectors.queue_counts(user=person, conditions=conditions)
        assert counts == selectors.queue_counts_compiled(conditions), person.username
        seen.append(counts)
    # at risk for the analyst: the team's assigned and in progress, and nobody's without a clock
    assert seen[0]["breaching"] == 3 and seen[0]["mine"] >= 1 and seen[4]["team"] == 0
    assert len({tuple(c.values()) for c in seen}) >= 3  # the people see different queues
    monkeypatch.setattr("servicedesk.pagination.COUNT_LIMIT", 2)
    conditions = selectors.queue_conditions(user=User.objects.get(pk=analyst.pk))
    capped = selectors.queue_counts(user=analyst, conditions=conditions)
    assert capped == selectors.queue_counts_compiled(conditions)
    assert capped["all"] == 3 and max(capped.values()) == 3
