"""Incident and problem API: the permission matrix per endpoint and action, refusals that change
nothing, exact query counts, filters, conflicts, internal data and the schema."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from incidents import services
from incidents.models import Category, Incident, Problem, ProblemEvent
from org.models import User

from ..org.factories import BusinessServiceFactory, UserFactory
from .factories import incident_in, make_incident, make_problem

ACTORS = [
    "anonymous",
    "requester",
    "other_requester",
    "analyst",
    "other_analyst",
    "manager",
    "admin_user",
]


def codes(*expected: int) -> dict[str, int]:
    """Expected status codes in ``ACTORS`` order."""
    assert len(expected) == len(ACTORS)
    return dict(zip(ACTORS, expected, strict=True))


def actor(request: pytest.FixtureRequest, who: str) -> Any:
    return None if who == "anonymous" else request.getfixturevalue(who)


def matrix(cases: dict[str, dict[str, int]]) -> list[Any]:
    return [
        pytest.param(case, who, code, id=f"{case}-{who}")
        for case, expected in cases.items()
        for who, code in expected.items()
    ]


def fresh(user: Any) -> Any:
    """A user as a request loads it: roles and teams not yet cached."""
    return User.objects.get(pk=user.pk)


def state(incident: Incident) -> tuple[str, int | None, int]:
    incident.refresh_from_db()
    return incident.status, incident.assignee_id, incident.events.count()


@pytest.fixture
def desk_service(team: Any) -> Any:
    return BusinessServiceFactory(slug="printing", name="Printing", owner_team=team)


@pytest.fixture
def build(requester: Any, analyst: Any, team: Any, desk_service: Any) -> Callable[[str], Incident]:
    """An incident of ``requester``, routed to ``team``; from "assigned" on, ``analyst`` has it."""

    def make(status: str) -> Incident:
        return incident_in(
            status, requester=requester, analyst=analyst, team=team, service=desk_service
        )

    return make


def url(incident: Incident, action: str = "") -> str:
    return f"/api/v1/incidents/{incident.pk}/" + (f"{action}/" if action else "")


# --- transitions: the permission matrix ------------------------------------------------------
WORKERS = codes(401, 403, 404, 200, 403, 200, 200)
PARTY_OR_WORKERS = codes(401, 200, 404, 200, 403, 200, 200)

TRANSITIONS: dict[str, tuple[str, Callable[[Any], dict[str, Any]], str, dict[str, int]]] = {
    # action: (from status, body, status after success, expected codes)
    "assign": (
        "new",
        lambda p: {"team_id": p["team"].pk, "assignee_id": p["analyst"].pk},
        "assigned",
        WORKERS,
    ),
    # An admin is in no team, so cannot become the desk's assignee (guard: assignee_in_team).
    "take": ("new", lambda p: {}, "assigned", codes(401, 403, 404, 200, 403, 200, 409)),
    "start": ("assigned", lambda p: {}, "in_progress", WORKERS),
    "pend": (
        "in_progress",
        lambda p: {"reason": "vendor", "note": "RMA opened"},
        "pending",
        WORKERS,
    ),
    "resume": ("pending", lambda p: {}, "in_progress", WORKERS),
    "resolve": (
        "in_progress",
        lambda p: {"resolution_code": "fixed", "resolution_notes": "Replaced the roller."},
        "resolved",
        WORKERS,
    ),
    "close": ("resolved", lambda p: {}, "closed", codes(401, 200, 404, 403, 403, 403, 403)),
    "reopen": ("resolved", lambda p: {"reason": "Jams again."}, "assigned", PARTY_OR_WORKERS),
    "cancel": ("assigned", lambda p: {"reason": "Duplicate."}, "cancelled", PARTY_OR_WORKERS),
    "triage": ("assigned", lambda p: {"impact": 1, "urgency": 1}, "assigned", WORKERS),
}


def _forbidden(action: str, who: str) -> str:
    if action == "close":
        return (
            "An incident is closed when its requester confirms the fix (or automatically "
            "after 5 days)."
        )
    if action in {"reopen", "cancel"}:
        return "Only the requester or someone working the incident may do this."
    return "Only the assignee, the incident's team, its lead or an admin may do this."


# The whole sentence a person reads for each refusal of the matrix.
REFUSALS: dict[int, Callable[[str, str], str]] = {
    401: lambda action, who: "Authentication credentials were not provided.",
    403: _forbidden,
    404: lambda action, who: "No such incident, or it is not visible to you.",
    # The admin taking a ticket: admins are not analysts, so the analyst guard refuses first.
    409: lambda action, who: (
        "Root is not an analyst: incidents are assigned to members or leads of a team."
    ),
}


@pytest.mark.parametrize(
    ("action", "who", "expected"), matrix({a: t[3] for a, t in TRANSITIONS.items()})
)
def test_transition_permission_matrix(
    request: Any,
    api: Any,
    build: Any,
    team: Any,
    analyst: Any,
    action: str,
    who: str,
    expected: int,
) -> None:
    source, body, target, _codes = TRANSITIONS[action]
    incident = build(source)
    before = state(incident)
    response = api(actor(request, who)).post(
        url(incident, action), body({"team": team, "analyst": analyst}), format="json"
    )
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["status"] == target
        assert response.json()["id"] == incident.pk
        assert state(incident)[2] == before[2] + 1  # exactly one event
    else:
        assert set(response.json()) >= {"code", "message"}
        assert state(incident) == before  # a refusal changes nothing
        if expected in REFUSALS:
            assert response.json()["message"] == REFUSALS[expected](action, who)


@pytest.mark.parametrize(
    ("action", "source", "message"),
    [
        ("start", "new", "Cannot start an incident that is new."),
        ("resume", "assigned", "Cannot resume an incident that is assigned."),
        ("close", "in_progress", "Cannot close an incident that is in progress."),
        ("reopen", "closed", "Cannot reopen an incident that is closed."),
    ],
)
def test_transition_from_the_wrong_status_is_409(
    api: Any, build: Any, requester: Any, analyst: Any, action: str, source: str, message: str
) -> None:
    incident = build(source)
    before = state(incident)
    who = requester if action in {"close", "reopen"} else analyst
    body = {"reason": "x"} if action == "reopen" else {}
    response = api(who).post(url(incident, action), body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "state.transition_not_allowed"
    assert response.json()["message"] == message
    assert state(incident) == before


@pytest.mark.parametrize(
    ("action", "source", "body", "field"),
    [
        ("pend", "in_progress", {"reason": "holiday"}, "reason"),
        ("pend", "in_progress", {}, "reason"),
        ("resolve", "in_progress", {"resolution_code": "fixed"}, "resolution_notes"),
        ("resolve", "in_progress", {"resolution_code": "magic", "resolution_notes": "x"}, None),
        ("assign", "new", {"team_id": 999999}, "team_id"),
        ("assign", "new", {"assignee_id": 999999}, "assignee_id"),
        ("triage", "assigned", {"impact": 7}, "impact"),
        ("triage", "assigned", {"service_id": 999999}, "service_id"),
        ("triage", "assigned", {"affected_users": 0}, "affected_users"),
        ("cancel", "assigned", {}, "reason"),
    ],
)
def test_bad_input_is_400_and_changes_nothing(
    api: Any, build: Any, analyst: Any, action: str, source: str, body: Any, field: Any
) -> None:
    incident = build(source)
    before = state(incident)
    response = api(analyst).post(url(incident, action), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "request.invalid"
    assert (field or "resolution_code") in response.json()["details"]
    assert state(incident) == before


def test_guard_refusal_is_409_with_the_guard_code(
    api: Any, build: Any, analyst: Any, other_analyst: Any, team: Any
) -> None:
    incident = build("new")
    before = state(incident)
    body = {"team_id": team.pk, "assignee_id": other_analyst.pk}
    response = api(analyst).post(url(incident, "assign"), body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "guard_failed.incident.assign.assignee_in_team"
    assert state(incident) == before


def test_take_conflict_is_409_already_taken(api: Any, build: Any, analyst: Any, team: Any) -> None:
    incident = build("new")
    colleague = UserFactory(username="colleague", display_name="Cole League")
    team.members.add(colleague)
    services.incident_assign(
        incident=incident, actor=colleague, assignee=colleague, only_if_unassigned=True
    )
    before = state(incident)
    response = api(analyst).post(url(incident, "take"))
    assert response.status_code == 409
    assert response.json()["code"] == "incident.assign.already_taken"
    assert response.json()["message"] == f"{incident.ref} was just taken by Cole League."
    assert state(incident) == before
    assert before[1] == colleague.pk


def test_take_assigns_to_self(
    api: Any, build: Any, analyst: Any, other_analyst: Any, requester: Any, team: Any
) -> None:
    incident = build("new")
    body = api(analyst).post(url(incident, "take")).json()
    assert body["assignee"]["id"] == analyst.pk
    assert body["team"]["id"] == team.pk
    assert body["allowed_actions"] == ["assign", "start", "resolve", "cancel", "merge"]
    # allowed_actions is per viewer: another team's analyst may do nothing, the requester cancel
    detail = f"/api/v1/incidents/{incident.pk}/"
    assert api(other_analyst).get(detail).json()["allowed_actions"] == []
    assert api(requester).get(detail).json()["allowed_actions"] == ["cancel"]


def test_triage_changes_priority_and_only_what_is_sent(
    api: Any, build: Any, analyst: Any, desk_service: Any
) -> None:
    incident = build("assigned")
    category = Category.objects.create(name="Hardware faults", slug="hardware-faults")
    body = (
        api(analyst)
        .post(url(incident, "triage"), {"impact": 1, "urgency": 1, "category_id": category.pk})
        .json()
    )
    assert (body["priority"], body["impact"], body["urgency"]) == (1, 1, 1)
    assert body["category"] == {"id": category.pk, "slug": "hardware-faults", "name": category.name}
    assert body["service"]["id"] == desk_service.pk
    assert body["is_major"] is False


# --- resource endpoints ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "who", "expected"),
    matrix(
        {
            "list": codes(401, 200, 200, 200, 200, 200, 200),
            "retrieve": codes(401, 200, 404, 200, 200, 200, 200),
            "events": codes(401, 200, 404, 200, 200, 200, 200),
            "comments": codes(401, 200, 404, 200, 200, 200, 200),
        }
    ),
)
def test_read_permission_matrix(
    request: Any, api: Any, build: Any, case: str, who: str, expected: int
) -> None:
    incident = build("assigned")
    path = (
        "/api/v1/incidents/"
        if case == "list"
        else url(incident, "" if case == "retrieve" else case)
    )
    response = api(actor(request, who)).get(path)
    assert response.status_code == expected
    if case == "list" and expected == 200:
        ids = [i["id"] for i in response.json()["results"]]
        assert ids == ([] if who == "other_requester" else [incident.pk])


@pytest.mark.parametrize(
    ("case", "who", "expected"),
    matrix(
        {
            "own": codes(401, 201, 201, 201, 201, 201, 201),
            "with_team": codes(401, 403, 403, 201, 201, 201, 201),
            "major": codes(401, 403, 403, 201, 201, 201, 201),
            "on_behalf": codes(401, 403, 403, 201, 201, 201, 201),
        }
    ),
)
def test_create_permission_matrix(
    request: Any, api: Any, team: Any, case: str, who: str, expected: int
) -> None:
    colleague = UserFactory(username="colleague")
    body: dict[str, Any] = {"title": "VPN drops", "description": "Every hour."}
    body.update(
        {
            "own": {},
            "with_team": {"team_id": team.pk},
            "major": {"is_major": True},
            "on_behalf": {"requester_id": colleague.pk},
        }[case]
    )
    before = Incident.objects.count()
    response = api(actor(request, who)).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == expected, response.content
    if expected == 201:
        created = response.json()
        assert created["status"] == "new"
        assert created["channel"] == "api"
        expected_requester = colleague if case == "on_behalf" else actor(request, who)
        assert created["requester"]["id"] == expected_requester.pk
        assert created["reported_by"]["id"] == actor(request, who).pk
    else:
        assert Incident.objects.count() == before


def test_create_output_and_read_only_fields(
    api: Any, requester: Any, desk_service: Any, team: Any
) -> None:
    category = Category.objects.create(name="Network faults", slug="network-faults")
    payload = {
        "title": "  VPN drops  ",
        "service_id": desk_service.pk,
        "category_id": category.pk,
        "impact": 3,
        "urgency": 2,
        "affected_users": 12,
    }
    read_only = {"status": "closed", "priority": 4}
    refused = api(requester).post("/api/v1/incidents/", {**payload, **read_only}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "request.unknown_fields"
    assert refused.json()["message"] == (
        "Unknown fields: priority, status. Accepted here: affected_users, category_id, channel, "
        "description, impact, is_major, requester_id, service_id, team_id, title, urgency."
    )
    by_phone = api(requester).post(
        "/api/v1/incidents/", {**payload, "channel": "phone"}, format="json"
    )
    assert by_phone.status_code == 403
    assert by_phone.json()["message"] == (
        "Only analysts log calls that came in by phone; report it yourself without a channel."
    )
    assert not Incident.objects.exists()
    response = api(requester).post("/api/v1/incidents/", payload, format="json")
    assert response.status_code == 201
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert body["ref"] == f"INC-{incident.pk:06d}"
    assert body["title"] == "VPN drops"
    assert (body["status"], body["channel"], body["priority"]) == ("new", "api", incident.priority)
    assert incident.priority != 4
    assert body["team"] == {"id": team.pk, "slug": "desk", "name": "Desk"}
    assert body["service"] == {"id": desk_service.pk, "slug": "printing", "name": "Printing"}
    assert body["affected_users"] == 12
    assert body["due_at"] is not None and body["created_at"] and body["updated_at"]
    assert body["allowed_actions"] == ["cancel"]  # what the requester may do
    assert body["problem"] is None
    assert incident.events.get().type == "incident.created"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "x", "service_id": 999999}, "service_id"),
        ({"title": "x", "category_id": "abc"}, "category_id"),
        ({"title": "x", "requester_id": 999999}, "requester_id"),
        ({"title": "x", "impact": 0}, "impact"),
        ({"title": "x", "affected_users": 0}, "affected_users"),
    ],
)
def test_create_bad_input_is_400(api: Any, analyst: Any, body: Any, field: str) -> None:
    response = api(analyst).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]
    assert not Incident.objects.exists()


def test_unknown_and_malformed_ids_are_404(api: Any, analyst: Any) -> None:
    for path in ["/api/v1/incidents/999999/", "/api/v1/incidents/abc/", "/api/v1/problems/9999/"]:
        response = api(analyst).get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "resource.not_found"
    assert api(analyst).post("/api/v1/incidents/999999/start/").status_code == 404


def test_status_cannot_be_set_directly(api: Any, build: Any, analyst: Any) -> None:
    incident = build("new")
    for method in ("put", "delete"):
        assert getattr(api(analyst), method)(url(incident), {"status": "closed"}).status_code == 405
    patched = api(analyst).patch(url(incident), {"status": "closed"}, format="json")
    assert patched.status_code == 400
    assert patched.json()["message"] == (
        "Unknown field: status. Accepted here: description, title."
    )
    assert state(incident)[0] == "new"


# --- conversation ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "who", "expected"),
    matrix(
        {
            "public": codes(401, 201, 404, 201, 201, 201, 201),
            "internal": codes(401, 403, 404, 201, 201, 201, 201),
        }
    ),
)
def test_comment_permission_matrix(
    request: Any, api: Any, build: Any, case: str, who: str, expected: int
) -> None:
    incident = build("assigned")
    before = state(incident)
    response = api(actor(request, who)).post(
        url(incident, "comments"), {"body": "Any news?", "internal": case == "internal"}
    )
    assert response.status_code == expected
    if expected == 201:
        assert response.json()["internal"] is (case == "internal")
        assert response.json()["author"]["id"] == actor(request, who).pk
        assert state(incident)[2] == before[2] + 1
    else:
        assert state(incident) == before
        assert not incident.comments.exists()


def test_comment_on_a_closed_incident_is_409(api: Any, build: Any, requester: Any) -> None:
    incident = build("closed")
    response = api(requester).post(url(incident, "comments"), {"body": "Hello?"})
    assert response.status_code == 409
    assert not incident.comments.exists()


def test_comment_needs_a_body(api: Any, build: Any, requester: Any) -> None:
    response = api(requester).post(url(build("new"), "comments"), {"body": ""})
    assert response.status_code == 400
    assert "body" in response.json()["details"]


def test_requester_never_sees_internal_notes_events_or_problem(
    api: Any, build: Any, requester: Any, analyst: Any
) -> None:
    incident = build("in_progress")
    services.incident_comment(
        incident=incident, actor=analyst, body="Vendor is slow", internal=True
    )
    services.incident_comment(incident=incident, actor=analyst, body="On it!")
    problem = make_problem(analyst)
    services.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[incident.pk])

    mine = api(requester)
    assert [c["body"] for c in mine.get(url(incident, "comments")).json()["results"]] == ["On it!"]
    events = mine.get(url(incident, "events")).json()["results"]
    assert [e["type"] for e in events] == [
        "incident.created",
        "incident.assigned",
        "incident.started",
        "incident.commented",
    ]
    assert all(e["internal"] is False and e["payload"] == {} for e in events)
    detail = mine.get(url(incident)).json()
    assert detail["problem"] is None
    assert "Vendor is slow" not in mine.get(url(incident)).content.decode()
    listed = mine.get("/api/v1/incidents/").json()["results"]
    assert listed[0]["problem"] is None

    theirs = api(analyst)
    comments = theirs.get(url(incident, "comments")).json()["results"]
    assert [(c["body"], c["internal"]) for c in comments] == [
        ("Vendor is slow", True),
        ("On it!", False),
    ]
    types = [e["type"] for e in theirs.get(url(incident, "events")).json()["results"]]
    assert "incident.noted" in types and "incident.problem_linked" in types
    assert theirs.get(url(incident)).json()["problem"] == {
        "id": problem.pk,
        "ref": problem.ref,
        "title": problem.title,
        "status": "new",
    }


def test_events_are_paginated_and_read_only(api: Any, build: Any, analyst: Any) -> None:
    incident = build("resolved")
    page = api(analyst).get(url(incident, "events") + "?page_size=2").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    first = page["results"][0]
    assert first["type"] == "incident.created"
    assert first["actor"]["id"] == incident.requester_id
    assert first["to_status"] == "new"
    assert first["payload"]["requester_id"] == incident.requester_id
    assert api(analyst).post(url(incident, "events"), {}).status_code == 405


# --- satisfaction ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "expected"), list(codes(401, 201, 404, 403, 403, 403, 403).items())
)
def test_satisfaction_permission_matrix(
    request: Any, api: Any, build: Any, who: str, expected: int
) -> None:
    incident = build("resolved")
    before = state(incident)
    response = api(actor(request, who)).post(
        url(incident, "satisfaction"), {"rating": 5, "comment": "Quick!"}
    )
    assert response.status_code == expected
    if expected == 201:
        assert response.json()["rating"] == 5
        assert response.json()["resolution_number"] == 1
    else:
        assert state(incident) == before
        assert not incident.ratings.exists()


def test_satisfaction_rules(api: Any, build: Any, requester: Any) -> None:
    client = api(requester)
    assert client.post(url(build("in_progress"), "satisfaction"), {"rating": 4}).status_code == 409
    incident = build("resolved")
    response = client.post(url(incident, "satisfaction"), {"rating": 6})
    assert response.status_code == 400 and "rating" in response.json()["details"]
    assert client.post(url(incident, "satisfaction"), {"rating": 4}).status_code == 201
    again = client.post(url(incident, "satisfaction"), {"rating": 1})
    assert again.status_code == 409 and again.json()["code"] == "incident.already_rated"


# --- bulk assign ----------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "expected"), list(WORKERS.items()))
def test_bulk_assign_permission_matrix(
    request: Any, api: Any, build: Any, team: Any, analyst: Any, who: str, expected: int
) -> None:
    incidents = [build("new"), build("new")]
    before = [state(i) for i in incidents]
    body = {
        "incident_ids": [i.pk for i in incidents],
        "team_id": team.pk,
        "assignee_id": analyst.pk,
    }
    response = api(actor(request, who)).post("/api/v1/incidents/bulk-assign/", body, format="json")
    # Another requester cannot see the incidents: to them the ids do not exist (400, not 404,
    # because they are input).
    expected = 400 if who == "other_requester" else expected
    assert response.status_code == expected
    if expected == 200:
        assert sorted(i["id"] for i in response.json()) == sorted(i.pk for i in incidents)
        assert {i["status"] for i in response.json()} == {"assigned"}
    else:
        assert [state(i) for i in incidents] == before


def test_bulk_assign_is_all_or_nothing(
    api: Any, build: Any, team: Any, analyst: Any, requester: Any
) -> None:
    good, closed = build("new"), build("closed")
    before = [state(good), state(closed)]
    body = {"incident_ids": [good.pk, closed.pk], "assignee_id": analyst.pk}
    response = api(analyst).post("/api/v1/incidents/bulk-assign/", body, format="json")
    assert response.status_code == 409
    assert response.json()["message"] == (
        f"{closed.ref}: Cannot assign an incident that is closed. Nothing was assigned."
    )
    assert [state(good), state(closed)] == before
    missing = api(analyst).post(
        "/api/v1/incidents/bulk-assign/", {"incident_ids": [good.pk, 999999]}, format="json"
    )
    assert missing.status_code == 400 and "999999" in str(missing.json()["details"])
    assert (
        api(analyst)
        .post("/api/v1/incidents/bulk-assign/", {"incident_ids": []}, format="json")
        .status_code
        == 400
    )


# --- filters --------------------------------------------------------------------------------
@pytest.fixture
def three(requester: Any, other_requester: Any, analyst: Any, team: Any, desk_service: Any) -> Any:
    """a: the VPN, P1, January; b: another requester's printer, assigned, February;
    c: cancelled, March, no service."""

    def at(day: str) -> Any:
        return time_machine.travel(datetime.fromisoformat(day).replace(tzinfo=UTC), tick=False)

    with at("2025-01-10T09:00"):
        a = make_incident(
            requester, title="VPN drops hourly", service=desk_service, impact=1, urgency=1
        )
    with at("2025-02-10T09:00"):
        b = incident_in(
            "assigned",
            requester=other_requester,
            analyst=analyst,
            team=team,
            title="Printer jams",
            description="Tray 2 is stuck",
        )
    with at("2025-03-10T09:00"):
        c = incident_in("cancelled", requester=requester, analyst=analyst, team=team)
    return a, b, c


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "cba"),
        ("status=assigned", "b"),
        ("status=new&status=cancelled", "ca"),
        ("open=true", "ba"),
        ("priority=1", "a"),
        ("team_id={team}", "ba"),
        ("assignee_id={analyst}", "b"),
        ("unassigned=true", "ca"),
        ("service_id={service}", "a"),
        ("requester_id={other_requester}", "b"),
        ("requester_id={requester}", "ca"),
        ("created_after=2025-02-01T00:00:00Z", "cb"),
        ("created_before=2025-02-01T00:00:00Z", "a"),
        ("created_after=2025-02-01T00:00:00Z&created_before=2025-03-01T00:00:00Z", "b"),
        ("q=vpn", "a"),
        ("q=tray", "b"),
        ("q={ref_b}", "b"),
        ("q={short_ref_b}", "b"),
        ("ordering=created", "abc"),
        ("ordering=-due", "cba"),
    ],
)
def test_filters(
    api: Any,
    analyst: Any,
    requester: Any,
    other_requester: Any,
    team: Any,
    desk_service: Any,
    three: Any,
    query: str,
    expected: str,
) -> None:
    a, b, c = three
    names = {a.pk: "a", b.pk: "b", c.pk: "c"}
    query = query.format(
        team=team.pk,
        analyst=analyst.pk,
        service=desk_service.pk,
        requester=requester.pk,
        other_requester=other_requester.pk,
        ref_b=b.ref,  # "INC-000042" style
        short_ref_b=f"inc-{b.pk}",
    )
    response = api(analyst).get(f"/api/v1/incidents/?{query}")
    assert response.status_code == 200, response.content
    assert "".join(names[i["id"]] for i in response.json()["results"]) == expected


def test_filters_stay_within_the_requesters_scope(
    api: Any, requester: Any, other_requester: Any, three: Any
) -> None:
    a, b, c = three
    client = api(requester)
    assert client.get(f"/api/v1/incidents/?requester_id={other_requester.pk}").json()["count"] == 0
    assert client.get(f"/api/v1/incidents/?q={b.ref}").json()["count"] == 0
    assert [i["id"] for i in client.get("/api/v1/incidents/").json()["results"]] == [c.pk, a.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("priority=9", "priority"),
        ("team_id=999999", "team_id"),
        ("created_after=yesterday", "created_after"),
        ("ordering=title", "ordering"),
    ],
)
def test_bad_filter_is_400(api: Any, analyst: Any, query: str, field: str) -> None:
    response = api(analyst).get(f"/api/v1/incidents/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "request.invalid"
    assert field in response.json()["details"]


# --- query counts ---------------------------------------------------------------------------
# With a user loaded as a request loads it: 3 queries derive the roles (groups, team
# memberships, teams led), then the list's own queries.
ROLE_QUERIES = 3


@pytest.mark.parametrize("rows", [3, 20])
def test_incident_list_query_count_is_constant(
    api: Any,
    requester: Any,
    analyst: Any,
    team: Any,
    desk_service: Any,
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    category = Category.objects.create(name="Printers", slug="printers")
    problem = make_problem(analyst)
    incidents = [
        incident_in(
            "assigned",
            requester=requester,
            analyst=analyst,
            team=team,
            service=desk_service,
            category=category,
        )
        for _ in range(rows)
    ]
    services.problem_link_incidents(
        problem=problem, actor=analyst, incident_ids=[i.pk for i in incidents]
    )
    for who in (analyst, requester):
        client = api(fresh(who))
        # count, page ids, page rows, their people (one query, batched instead of joined)
        with django_assert_num_queries(ROLE_QUERIES + 4):
            response = client.get("/api/v1/incidents/?page_size=50")
        assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [3, 20])
def test_events_and_comments_query_counts_are_constant(
    api: Any, build: Any, requester: Any, analyst: Any, rows: int, django_assert_num_queries: Any
) -> None:
    incident = build("in_progress")
    for n in range(rows):
        author = analyst if n % 2 else requester
        services.incident_comment(incident=incident, actor=author, body=f"Message {n}")
    for who in (analyst, requester):
        client = api(fresh(who))
        with django_assert_num_queries(ROLE_QUERIES + 4):  # incident, count, page, actors
            events = client.get(url(incident, "events") + "?page_size=50").json()
        assert events["count"] == rows + 3
        client = api(fresh(who))
        with django_assert_num_queries(ROLE_QUERIES + 3):  # incident, count, page
            comments = client.get(url(incident, "comments") + "?page_size=50").json()
        assert comments["count"] == rows


@pytest.mark.parametrize("rows", [3, 20])
def test_problem_list_query_count_is_constant(
    api: Any,
    requester: Any,
    analyst: Any,
    team: Any,
    desk_service: Any,
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    other_service = BusinessServiceFactory(slug="vpn", owner_team=team)
    incident = make_incident(requester)
    for n in range(rows):
        problem = make_problem(
            analyst, title=f"Problem {n}", owner_team=team, services=[desk_service, other_service]
        )
        services.problem_link_incidents(
            problem=problem, actor=analyst, incident_ids=[incident.pk], move=True
        )
    client = api(fresh(analyst))
    # count, page ids, page rows, services prefetch
    with django_assert_num_queries(ROLE_QUERIES + 4):
        response = client.get("/api/v1/problems/?page_size=50")
    results = response.json()["results"]
    assert response.json()["count"] == rows
    assert len(results[0]["services"]) == 2
    assert sum(p["incident_count"] for p in results) == 1  # moved to the newest problem each time


# --- problems -------------------------------------------------------------------------------
def problem_in(status: str, actor: Any) -> Problem:
    problem = make_problem(actor, description="Floor 2 printers jam after the firmware update")
    if status == "new":
        return problem
    problem = services.problem_investigate(problem=problem, actor=actor)
    if status == "investigating":
        return problem
    problem = services.problem_mark_known_error(
        problem=problem, actor=actor, root_cause="Firmware 2.1"
    )
    if status == "known_error":
        return problem
    problem = services.problem_resolve(problem=problem, actor=actor, permanent_fix="Firmware 2.2")
    if status == "resolved":
        return problem
    raise ValueError(status)


AGENTS = codes(401, 404, 404, 200, 200, 200, 200)

PROBLEM_ACTIONS: dict[str, tuple[str, str, Callable[[Any], dict[str, Any]], str]] = {
    # action: (method, from status, body, status after success)
    "investigate": ("post", "new", lambda i: {}, "investigating"),
    "mark-known-error": ("post", "investigating", lambda i: {"root_cause": "FW"}, "known_error"),
    "resolve": ("post", "known_error", lambda i: {"permanent_fix": "FW 2.2"}, "resolved"),
    "close": ("post", "resolved", lambda i: {}, "closed"),
    "link-incidents": ("post", "new", lambda i: {"incident_ids": [i.pk]}, "new"),
    "publish-workaround": (
        "post",
        "investigating",
        lambda i: {"workaround": "Tray 1"},
        "investigating",
    ),
    "": ("patch", "new", lambda i: {"root_cause": "Firmware"}, "new"),
}


@pytest.mark.parametrize(
    ("action", "who", "expected"), matrix({a: AGENTS for a in PROBLEM_ACTIONS})
)
def test_problem_action_permission_matrix(
    request: Any, api: Any, requester: Any, analyst: Any, action: str, who: str, expected: int
) -> None:
    method, source, body, target = PROBLEM_ACTIONS[action]
    problem = problem_in(source, analyst)
    incident = make_incident(requester)
    events = ProblemEvent.objects.filter(problem=problem).count()
    path = f"/api/v1/problems/{problem.pk}/" + (f"{action}/" if action else "")
    response = getattr(api(actor(request, who)), method)(path, body(incident), format="json")
    assert response.status_code == expected, response.content
    problem.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == target == problem.status
        assert ProblemEvent.objects.filter(problem=problem).count() == events + 1
    else:
        assert problem.status == source
        assert ProblemEvent.objects.filter(problem=problem).count() == events
        assert incident.events.count() == 1


@pytest.mark.parametrize(
    ("case", "who", "expected"),
    matrix(
        {
            "list": codes(401, 200, 200, 200, 200, 200, 200),
            "retrieve": AGENTS,
            "create": codes(401, 403, 403, 201, 201, 201, 201),
        }
    ),
)
def test_problem_resource_permission_matrix(
    request: Any, api: Any, analyst: Any, case: str, who: str, expected: int
) -> None:
    problem = make_problem(analyst)
    client = api(actor(request, who))
    if case == "create":
        response = client.post("/api/v1/problems/", {"title": "VPN flaps"}, format="json")
    elif case == "list":
        response = client.get("/api/v1/problems/")
    else:
        response = client.get(f"/api/v1/problems/{problem.pk}/")
    assert response.status_code == expected
    if case == "list" and expected == 200:
        requester_side = who in {"requester", "other_requester"}
        assert response.json()["count"] == (0 if requester_side else 1)
    if case == "create" and expected != 201:
        assert Problem.objects.count() == 1


def test_problem_create_and_output(api: Any, analyst: Any, team: Any, desk_service: Any) -> None:
    response = api(analyst).post(
        "/api/v1/problems/",
        {
            "title": "Printers jam",
            "service_ids": [desk_service.pk],
            "owner_team_id": team.pk,
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["ref"] == f"PRB-{body['id']:06d}"
    assert body["status"] == "new"
    assert body["owner_team"]["id"] == team.pk
    assert body["created_by"]["id"] == analyst.pk
    assert body["services"] == [{"id": desk_service.pk, "slug": "printing", "name": "Printing"}]
    assert (body["incident_count"], body["open_incident_count"]) == (0, 0)
    assert body["allowed_actions"] == ["investigate", "mark_known_error"]
    bad = api(analyst).post(
        "/api/v1/problems/", {"title": "x", "service_ids": [999999]}, format="json"
    )
    assert bad.status_code == 400 and "service_ids" in bad.json()["details"]


def test_problem_workaround_reaches_linked_open_incidents(
    api: Any, requester: Any, analyst: Any, build: Any
) -> None:
    problem = problem_in("investigating", analyst)
    incidents = [build("assigned"), build("closed")]
    client = api(analyst)
    linked = client.post(
        f"/api/v1/problems/{problem.pk}/link-incidents/",
        {"incident_ids": [i.pk for i in incidents]},
        format="json",
    ).json()
    assert (linked["incident_count"], linked["open_incident_count"]) == (2, 1)
    response = client.post(
        f"/api/v1/problems/{problem.pk}/publish-workaround/",
        {"workaround": "Use tray 1."},
        format="json",
    )
    assert response.json()["workaround"] == "Use tray 1."
    assert api(requester).get(url(incidents[0])).json()["workaround"] == "Use tray 1."
    missing = client.post(
        f"/api/v1/problems/{problem.pk}/link-incidents/", {"incident_ids": [999999]}, format="json"
    )
    assert missing.status_code == 400


def test_problem_guards_and_wrong_status(api: Any, analyst: Any) -> None:
    problem = problem_in("new", analyst)
    client = api(analyst)
    guarded = client.post(f"/api/v1/problems/{problem.pk}/mark-known-error/", {}, format="json")
    assert guarded.status_code == 409
    assert guarded.json()["code"] == "guard_failed.known_error_root_cause"
    wrong = client.post(f"/api/v1/problems/{problem.pk}/close/")
    assert wrong.status_code == 409 and wrong.json()["code"] == "state.transition_not_allowed"
    assert wrong.json()["message"] == "Cannot close a problem that is new."
    assert guarded.json()["message"] == "A known error needs its root cause recorded."
    problem.refresh_from_db()
    assert problem.status == "new"
    assert ProblemEvent.objects.filter(problem=problem).count() == 1


def test_problem_update_changes_only_what_is_sent(api: Any, analyst: Any) -> None:
    problem = problem_in("new", analyst)
    response = api(analyst).patch(
        f"/api/v1/problems/{problem.pk}/", {"fix_change_ref": "CHG-000042"}, format="json"
    )
    assert response.status_code == 200
    problem.refresh_from_db()
    assert problem.fix_change_ref == "CHG-000042"
    assert problem.description == "Floor 2 printers jam after the firmware update"
    assert api(analyst).put(f"/api/v1/problems/{problem.pk}/", {}).status_code == 405
    too_long = api(analyst).patch(
        f"/api/v1/problems/{problem.pk}/", {"fix_change_ref": "C" * 21}, format="json"
    )
    assert too_long.status_code == 400


def test_problem_filters(api: Any, analyst: Any, team: Any) -> None:
    a = make_problem(analyst, title="VPN flaps", owner_team=team)
    b = problem_in("investigating", analyst)
    client = api(analyst)

    def ids(query: str) -> list[int]:
        return [p["id"] for p in client.get(f"/api/v1/problems/?{query}").json()["results"]]

    assert ids("status=investigating") == [b.pk]
    assert ids(f"owner_team_id={team.pk}") == [a.pk]
    assert ids("q=vpn") == [a.pk]
    assert ids(f"q={b.ref}") == [b.pk]
    assert client.get("/api/v1/problems/?status=bogus").status_code == 400


# --- the schema -----------------------------------------------------------------------------
INCIDENT_ACTIONS = [
    "assign",
    "take",
    "start",
    "pend",
    "resume",
    "resolve",
    "close",
    "reopen",
    "cancel",
    "triage",
]


def test_schema_documents_the_actions_and_their_conflicts(api: Any, requester: Any) -> None:
    response = api(requester).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for name in INCIDENT_ACTIONS:
        operation = paths[f"/api/v1/incidents/{{id}}/{name}/"]["post"]
        assert {"200", "401", "403", "404", "409"} <= set(operation["responses"]), name
        assert operation["summary"]
    assert "requestBody" in paths["/api/v1/incidents/{id}/resolve/"]["post"]
    assert "requestBody" not in paths["/api/v1/incidents/{id}/start/"]["post"]
    assert "409" in paths["/api/v1/incidents/bulk-assign/"]["post"]["responses"]
    for name in ["link-incidents", "publish-workaround", "investigate", "mark-known-error"]:
        assert "409" in paths[f"/api/v1/problems/{{id}}/{name}/"]["post"]["responses"]
    for name in ["resolve", "close"]:
        assert "409" in paths[f"/api/v1/problems/{{id}}/{name}/"]["post"]["responses"]
    assert "patch" in paths["/api/v1/problems/{id}/"]
    listing = paths["/api/v1/incidents/"]["get"]
    params = {p["name"] for p in listing["parameters"]}
    assert {"status", "priority", "team_id", "assignee_id", "q", "created_after"} <= params
    assert "status" not in {
        p["name"] for p in paths["/api/v1/incidents/{id}/comments/"]["get"]["parameters"]
    }
    assert schema["components"]["schemas"]["Incident"]["properties"]["status"]["readOnly"]
    download = paths["/api/v1/incidents/{id}/attachments/{attachment_id}/download/"]["get"]
    assert "404" in download["responses"]


def test_a_list_builds_its_nested_serializers_once_and_formats_each_url(
    api: Any, analyst: Any, requester: Any, team: Any, monkeypatch: Any
) -> None:
    """The output path is lean: one SLA serializer for the whole page (not one per row), and
    each row's URL is the route formatted with its id."""
    from incidents.api import serializers

    built = []
    original = serializers.IncidentSlaSerializer.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(serializers.IncidentSlaSerializer, "__init__", counting)
    incidents = [
        incident_in("assigned", requester=requester, analyst=analyst, team=team) for _ in range(3)
    ]
    response = api(analyst).get("/api/v1/incidents/?page_size=25")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 3 and all(row["sla"] is not None for row in rows)
    assert len(built) == 1
    assert sorted(row["url"] for row in rows) == sorted(
        f"http://testserver/api/v1/incidents/{i.pk}/" for i in incidents
    )
