"""Change API: the permission matrix per endpoint and role, refusals that change nothing,
guard refusals with their codes, exact query counts, the calendar and the schema."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from changes import services
from changes.models import Change, ChangeEvent
from org.models import User

from ..incidents.factories import make_incident
from .factories import People, change_in, make_template

ACTORS = [
    "anonymous",
    "requester",
    "other_requester",
    "analyst",
    "implementer",
    "approver",
    "process_owner",
    "admin_user",
]


def codes(*expected: int) -> dict[str, int]:
    assert len(expected) == len(ACTORS)
    return dict(zip(ACTORS, expected, strict=True))


def matrix(cases: dict[str, tuple[Any, ...]]) -> list[Any]:
    return [
        pytest.param(case, who, code, id=f"{case}-{who}")
        for case, spec in cases.items()
        for who, code in spec[-1].items()
    ]


def fresh(user: Any) -> Any:
    """A user as a request loads it: roles and teams not yet cached."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def approver(approvers: list) -> Any:
    return approvers[0]


@pytest.fixture
def people(requester: Any, implementer: Any, approvers: list, process_owner: Any) -> People:
    return People(requester, implementer, approvers, process_owner)


def who_is(request: pytest.FixtureRequest, who: str) -> Any:
    return None if who == "anonymous" else request.getfixturevalue(who)


EDITORS = codes(401, 200, 404, 403, 200, 403, 200, 200)
APPROVERS = codes(401, 403, 404, 403, 403, 200, 403, 403)
IMPLEMENTERS = codes(401, 403, 404, 403, 200, 403, 403, 200)
MANAGERS = codes(401, 403, 404, 403, 403, 403, 200, 200)
READERS = codes(401, 200, 404, 200, 200, 200, 200, 200)

# case: (status, method, path suffix, body, expected)
CHANGE_CASES: dict[str, tuple[Any, ...]] = {
    "retrieve": ("draft", "get", "", None, READERS),
    "events": ("assessed", "get", "events/", None, READERS),
    "decisions": ("authorised", "get", "decisions/", None, READERS),
    "edit": ("draft", "patch", "", {"title": "Renamed"}, EDITORS),
    "submit": ("draft", "post", "submit/", {}, EDITORS),
    "approve": ("assessed", "post", "approve/", {"comment": "Fine"}, APPROVERS),
    "reject": ("assessed", "post", "reject/", {"comment": "No"}, APPROVERS),
    "schedule": ("authorised", "post", "schedule/", {}, EDITORS),
    "start": ("scheduled", "post", "start/", {}, IMPLEMENTERS),
    "complete": ("implementing", "post", "complete/", {"outcome": "successful"}, IMPLEMENTERS),
    "review": ("implemented", "post", "review/", {}, MANAGERS),
    "close": ("reviewed", "post", "close/", {}, MANAGERS),
    "cancel": ("scheduled", "post", "cancel/", {"reason": "Not needed"}, EDITORS),
    "document": ("scheduled", "post", "document/", {"test_plan": "Ran it"}, EDITORS),
    "link-incidents": (
        "implemented",
        "post",
        "link-incidents/",
        None,
        codes(401, 403, 404, 200, 200, 403, 403, 200),
    ),
}


@pytest.mark.parametrize(("case", "who", "expected"), matrix(CHANGE_CASES))
def test_change_permission_matrix(
    case: str,
    who: str,
    expected: int,
    api: Any,
    people: People,
    platform: Any,
    request: pytest.FixtureRequest,
) -> None:
    status, method, suffix, body, _ = CHANGE_CASES[case]
    change = change_in(status, people, owner_team=platform)
    if case == "link-incidents":
        body = {"incident_ids": [make_incident(people.requester).pk]}
    user = who_is(request, who)
    before = (Change.objects.get(pk=change.pk).status, ChangeEvent.objects.count())
    moment = change.planned_start if case == "start" else timezone.now()
    with time_machine.travel(moment, tick=False):
        response = getattr(api(user and fresh(user)), method)(
            f"/api/v1/changes/{change.pk}/{suffix}", body, format="json"
        )
    assert response.status_code == expected, response.content
    if expected != 200:
        assert set(response.json()) <= {"code", "message", "details"}
        assert (Change.objects.get(pk=change.pk).status, ChangeEvent.objects.count()) == before


COLLECTION_CASES: dict[str, tuple[Any, ...]] = {
    "changes-list": ("get", "/api/v1/changes/", None, codes(401, *[200] * 7)),
    "changes-create": (
        "post",
        "/api/v1/changes/",
        {"title": "Patch the VPN concentrator"},
        codes(401, *[201] * 7),
    ),
    "inbox": ("get", "/api/v1/changes/inbox/", None, codes(401, *[200] * 7)),
    "calendar": (
        "get",
        "/api/v1/change-calendar/?start=2026-11-01T00:00:00Z&end=2026-12-01T00:00:00Z",
        None,
        codes(401, *[200] * 7),
    ),
    "templates-list": ("get", "/api/v1/change-templates/", None, codes(401, *[200] * 7)),
    "templates-propose": (
        "post",
        "/api/v1/change-templates/",
        {"title": "Rotate the TLS certificate", "procedure": "Run the playbook."},
        codes(401, 403, 403, 201, 201, 403, 201, 201),
    ),
    "authorities-list": ("get", "/api/v1/change-authorities/", None, codes(401, *[200] * 7)),
    "authorities-create": (
        "post",
        "/api/v1/change-authorities/",
        {"name": "Network board", "rule": "any"},
        codes(401, 403, 403, 403, 403, 403, 201, 201),
    ),
    "matrix-get": ("get", "/api/v1/change-authorities/matrix/", None, codes(401, *[200] * 7)),
    "matrix-set": (
        "post",
        "/api/v1/change-authorities/matrix/",
        {"category": "network", "risk_class": "low", "authority_ids": []},
        codes(401, 403, 403, 403, 403, 403, 200, 200),
    ),
    "freezes-list": ("get", "/api/v1/freeze-windows/", None, codes(401, *[200] * 7)),
    "freezes-create": (
        "post",
        "/api/v1/freeze-windows/",
        {
            "name": "Year end",
            "starts_at": "2026-12-20T00:00:00Z",
            "ends_at": "2027-01-03T00:00:00Z",
            "reason": "Financial close.",
        },
        codes(401, 403, 403, 403, 403, 403, 201, 201),
    ),
}


@pytest.mark.parametrize(("case", "who", "expected"), matrix(COLLECTION_CASES))
def test_collection_permission_matrix(
    case: str, who: str, expected: int, api: Any, people: People, request: pytest.FixtureRequest
) -> None:
    method, path, body, _ = COLLECTION_CASES[case]
    user = who_is(request, who)
    response = getattr(api(user and fresh(user)), method)(path, body, format="json")
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("approve", codes(401, 404, 404, 403, 403, 403, 200, 200)),
        ("suspend", codes(401, 404, 404, 403, 403, 403, 200, 200)),
        ("retrieve", codes(401, 404, 404, 200, 200, 200, 200, 200)),
    ],
)
def test_template_permission_matrix(
    action: str,
    expected: dict,
    api: Any,
    people: People,
    analyst: Any,
    request: pytest.FixtureRequest,
) -> None:
    """A proposed template is invisible to requesters; only process owners decide on it."""
    template = services.template_propose(actor=analyst, title="Restart a node", procedure="Drain.")
    for who, code in expected.items():
        user = who_is(request, who)
        client = api(user and fresh(user))
        if action == "retrieve":
            response = client.get(f"/api/v1/change-templates/{template.pk}/")
        else:
            response = client.post(f"/api/v1/change-templates/{template.pk}/{action}/")
        assert response.status_code == code, (who, response.content)
        if code == 200 and action != "retrieve":
            template.refresh_from_db()
            if action == "approve":
                services.template_suspend(template=template, actor=people.owner)
            else:
                services.template_approve(template=template, actor=people.owner)


@pytest.mark.parametrize(
    "who", ["anonymous", "requester", "analyst", "approver", "process_owner", "admin_user"]
)
def test_freeze_lift_and_authority_update_matrix(
    who: str, api: Any, people: People, request: pytest.FixtureRequest
) -> None:
    freeze = services.freeze_create(
        actor=people.owner,
        name="Black Friday",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(days=1),
        reason="Peak sales.",
    )
    user = who_is(request, who)
    client = api(user and fresh(user))
    allowed = who in ("process_owner", "admin_user")
    expected = 401 if who == "anonymous" else 200 if allowed else 403
    assert client.post(f"/api/v1/freeze-windows/{freeze.pk}/lift/").status_code == expected
    authority = Change._meta.apps.get_model("changes", "ChangeAuthority").objects.get(slug="cab")
    response = client.put(
        f"/api/v1/change-authorities/{authority.pk}/",
        {
            "name": "CAB",
            "rule": "n_of_m",
            "required_approvals": 2,
            "member_ids": [u.pk for u in people.approvers],
        },
        format="json",
    )
    assert response.status_code == expected, response.content


def test_requester_files_and_submits_through_the_api(
    api: Any, people: People, payroll: Any
) -> None:
    start = (timezone.now() + timedelta(days=10)).replace(microsecond=0)
    client = api(fresh(people.requester))
    response = client.post(
        "/api/v1/changes/",
        {
            "title": "Upgrade payroll DB",
            "category": "database",
            "service_ids": [payroll.pk],
            "implementer_id": people.implementer.pk,
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(hours=2)).isoformat(),
            "implementation_plan": "Upgrade standby, fail over.",
            "backout_plan": "Fail back.",
            "test_plan": "Rehearsed on staging.",
            "impact_if_fails": 2,
            "complexity": "medium",
            "tested": True,
            "backout_tested": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ref"] == f"CHG-{body['id']:06d}"
    assert body["status"] == "draft" and body["service_tier"] == 2
    assert body["allowed_actions"] == ["submit", "cancel"]
    response = client.post(f"/api/v1/changes/{body['id']}/submit/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "assessed" and body["risk_class"] == "medium"
    assert body["current_authority"]["name"] == "Service owner"
    inbox = api(fresh(people.approvers[1])).get("/api/v1/changes/inbox/").json()
    assert [c["id"] for c in inbox["results"]] == [body["id"]]


def test_guard_refusal_is_409_with_the_step(api: Any, people: People, payroll: Any) -> None:
    change = change_in("authorised", people, services=[payroll])
    services.freeze_create(
        actor=people.owner,
        name="Payroll run",
        starts_at=change.planned_start,
        ends_at=change.planned_end,
        reason="Payday.",
    )
    response = api(fresh(people.requester)).post(f"/api/v1/changes/{change.pk}/schedule/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "guard_failed.change.schedule.freeze"
    assert body["details"]["step"] == "Freeze windows"
    assert "“Payroll run”" in body["message"] and body["message"].endswith("all services): Payday.")


def test_wrong_status_is_409(api: Any, people: People) -> None:
    change = change_in("draft", people)
    response = api(fresh(people.requester)).post(f"/api/v1/changes/{change.pk}/close/")
    assert response.status_code in (403, 409)
    response = api(fresh(people.owner)).post(f"/api/v1/changes/{change.pk}/close/")
    assert response.status_code == 409
    assert response.json() == {
        "code": "state.transition_not_allowed",
        "message": "Cannot close a change that is draft.",
        "details": {"status": "draft", "action": "close"},
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": "t", "type": "urgent"}, "type"),
        ({"title": "t", "service_ids": [99999]}, "service_ids"),
        ({"title": "t", "impact_if_fails": 9}, "impact_if_fails"),
        ({"title": "t", "planned_start": "yesterday"}, "planned_start"),
    ],
)
def test_create_bad_input_is_400(api: Any, requester: Any, body: dict, field: str) -> None:
    response = api(fresh(requester)).post("/api/v1/changes/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]
    assert not Change.objects.exists()


def test_window_ending_before_start_is_400(api: Any, requester: Any) -> None:
    response = api(fresh(requester)).post(
        "/api/v1/changes/",
        {
            "title": "t",
            "planned_start": "2027-01-02T10:00:00Z",
            "planned_end": "2027-01-02T09:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["message"] == "The planned end must be after the planned start."


def test_status_is_read_only(api: Any, people: People) -> None:
    change = change_in("draft", people)
    response = api(fresh(people.requester)).patch(
        f"/api/v1/changes/{change.pk}/", {"status": "closed", "title": "New"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "request.unknown_fields"
    change.refresh_from_db()
    assert (change.status, change.title) == ("draft", "Upgrade the payroll database to 16.4")


def test_calendar_validates_its_range(api: Any, requester: Any) -> None:
    client = api(fresh(requester))
    assert client.get("/api/v1/change-calendar/").status_code == 400
    response = client.get(
        "/api/v1/change-calendar/?start=2026-01-01T00:00:00Z&end=2026-06-01T00:00:00Z"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Ask for at most 62 days at a time."


def test_unknown_filter_value_is_400(api: Any, requester: Any) -> None:
    response = api(fresh(requester)).get("/api/v1/changes/?status=bogus")
    assert response.status_code == 400 and "status" in response.json()["details"]


def test_standard_change_through_the_api(api: Any, people: People, analyst: Any) -> None:
    template = make_template(analyst, people.owner)
    start = timezone.now() + timedelta(hours=3)
    response = api(fresh(people.requester)).post(
        "/api/v1/changes/",
        {"template_id": template.pk, "planned_start": start.isoformat(), "submit": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "scheduled"
    assert response.json()["template"]["title"] == "Restart an application server"


# With a user loaded as a request loads it: 3 queries derive the roles (groups, team
# memberships, teams led), then the list's own queries.
ROLE_QUERIES = 3


@pytest.mark.parametrize("rows", [3, 15])
def test_change_list_and_calendar_query_counts_are_constant(
    api: Any,
    people: People,
    payroll: Any,
    email_service: Any,
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    base = timezone.now() + timedelta(days=10)
    for i in range(rows):
        change_in(
            "scheduled",
            people,
            services=[payroll, email_service],
            title=f"Change {i}",
            planned_start=base + timedelta(hours=3 * i),
            planned_end=base + timedelta(hours=3 * i + 2),
        )
    services.freeze_create(
        actor=people.owner,
        name="Freeze",
        starts_at=base - timedelta(days=3),
        ends_at=base - timedelta(days=2),
        reason="r",
        services=[payroll],
    )
    for who in (people.requester, people.owner):
        client = api(fresh(who))
        with django_assert_num_queries(ROLE_QUERIES + 3):  # count, page, services
            response = client.get("/api/v1/changes/?page_size=50")
        assert response.json()["count"] == rows
    start = (base - timedelta(days=5)).isoformat().replace("+00:00", "Z")
    end = (base + timedelta(days=20)).isoformat().replace("+00:00", "Z")
    client = api(fresh(people.owner))
    # changes, their services, freezes, their services
    with django_assert_num_queries(ROLE_QUERIES + 4):
        response = client.get(f"/api/v1/change-calendar/?start={start}&end={end}")
    assert len(response.json()["changes"]) == rows and len(response.json()["freezes"]) == 1


@pytest.mark.parametrize("rows", [2, 10])
def test_inbox_and_catalogue_query_counts(
    api: Any, people: People, analyst: Any, rows: int, django_assert_num_queries: Any
) -> None:
    for i in range(rows):
        change_in("assessed", people, title=f"Change {i}")
        make_template(analyst, people.owner, title=f"Template {i}")
    inbox, templates, authorities, cells = (api(fresh(people.approvers[0])) for _ in range(4))
    with django_assert_num_queries(ROLE_QUERIES + 3):  # count, page, services
        response = inbox.get("/api/v1/changes/inbox/?page_size=50")
    assert response.json()["count"] == rows
    with django_assert_num_queries(ROLE_QUERIES + 3):  # count, page, services
        response = templates.get("/api/v1/change-templates/?page_size=50")
    assert response.json()["count"] == rows
    with django_assert_num_queries(2 + 1):  # count, page, members (no roles needed)
        response = authorities.get("/api/v1/change-authorities/")
    with django_assert_num_queries(1):  # the matrix with its authorities
        response = cells.get("/api/v1/change-authorities/matrix/")
    assert response.status_code == 200


def test_kernel_behaviour_on_changes(api: Any, people: People) -> None:
    """Reference in the URL, ETag / If-Match (412), Location on 201, the change feed."""
    client = api(fresh(people.requester))
    created = client.post("/api/v1/changes/", {"title": "Rotate keys"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert created["Location"] == body["url"] and body["url"].endswith(f"/changes/{body['id']}/")
    by_ref = client.get(f"/api/v1/changes/{body['ref']}/")
    assert by_ref.status_code == 200 and by_ref.json()["id"] == body["id"]
    etag = by_ref["ETag"]
    assert (
        client.patch(
            f"/api/v1/changes/{body['id']}/", {"title": "Rotate API keys"}, format="json"
        ).status_code
        == 200
    )
    stale = client.post(
        f"/api/v1/changes/{body['id']}/cancel/", {"reason": "x"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412 and stale.json()["code"] == "precondition.failed"
    assert Change.objects.get(pk=body["id"]).status == "draft"
    since = "2000-01-01T00:00:00Z"
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        feed = client.get(f"/api/v1/changes/?updated_after={since}").json()["results"]
    assert [row["id"] for row in feed] == [body["id"]]
    assert client.get("/api/v1/changes/?bogus=1").json()["code"] == "request.unknown_parameters"
