"""The API for integrators: idempotency keys, ETag/If-Match, Location and links, references in
URLs, PATCH of what was logged, the change feed, the one error shape everywhere, request ids."""

import logging
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Incident, IncidentComment, IncidentEvent, Problem
from servicedesk import concurrency, idempotency
from servicedesk.api import ApiViewMixin, InputSerializer
from servicedesk.errors import CODE_PATTERN, DomainError, PreconditionFailed
from servicedesk.models import IdempotencyKey
from servicedesk.tasks import idempotency_keys_expire_task
from tests.incidents.factories import incident_in, make_incident, make_problem
from tests.support.schema_check import SchemaMismatch, check_response

NEW = {"title": "VPN drops every hour", "description": "Since Monday."}


# --- Idempotency-Key -------------------------------------------------------------------------
def test_same_key_and_body_replays_the_first_response(api: Any, requester: Any) -> None:
    client = api(requester)
    first = client.post("/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"] == first.json()["url"]
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Incident.objects.count() == 1
    assert IncidentEvent.objects.filter(type="incident.created").count() == 1


def test_a_retried_comment_is_written_once(api: Any, requester: Any) -> None:
    incident = make_incident(requester)
    client = api(requester)
    path = f"/api/v1/incidents/{incident.pk}/comments/"
    for _ in range(3):
        response = client.post(
            path, {"body": "Still broken"}, format="json", HTTP_IDEMPOTENCY_KEY="c0ffee"
        )
        assert response.status_code == 201
    assert IncidentComment.objects.filter(incident=incident).count() == 1


def test_same_key_with_another_body_is_409(api: Any, requester: Any) -> None:
    client = api(requester)
    client.post("/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = client.post(
        "/api/v1/incidents/",
        {**NEW, "title": "Another"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert other.status_code == 409
    assert other.json() == {
        "code": "idempotency.key_reused",
        "message": "This Idempotency-Key was already used for a different request (POST "
        "/api/v1/incidents/ with another body). Use a new key for a new request.",
        "details": {"idempotency_key": "k-2"},
    }
    assert Incident.objects.count() == 1


def test_a_duplicate_while_the_first_runs_is_409_in_progress(api: Any, requester: Any) -> None:
    body = {**NEW}
    IdempotencyKey.objects.create(
        user=requester,
        key="k-3",
        method="POST",
        path="/api/v1/incidents/",
        fingerprint=idempotency.fingerprint(method="POST", path="/api/v1/incidents/", data=body),
    )
    response = api(requester).post(
        "/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency.in_progress"
    assert response.json()["message"] == (
        "A request with this Idempotency-Key is still in progress. Wait for it to finish, "
        "then retry to get its result."
    )
    assert not Incident.objects.exists()


def test_keys_belong_to_their_user(api: Any, requester: Any, other_requester: Any) -> None:
    api(requester).post("/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="same")
    response = api(other_requester).post(
        "/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    assert response.status_code == 201
    assert Incident.objects.count() == 2


def test_a_failed_request_releases_its_key(api: Any, requester: Any) -> None:
    client = api(requester)
    bad = client.post(
        "/api/v1/incidents/", {"title": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-4"
    )
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = client.post("/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert fixed.status_code == 201


def test_a_malformed_key_is_400(api: Any, requester: Any) -> None:
    response = api(requester).post(
        "/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="has spaces"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency.key_invalid"
    assert not Incident.objects.exists()


def test_keys_are_kept_24_hours_then_swept(api: Any, requester: Any) -> None:
    client = api(requester)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post("/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-5")
        clock.shift(timedelta(hours=23, minutes=59))
        replay = client.post("/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-5")
        assert replay["Idempotent-Replayed"] == "true"
        assert idempotency_keys_expire_task.apply().get() == 0
        clock.shift(timedelta(minutes=2))
        assert idempotency_keys_expire_task.apply().get() == 1
    assert not IdempotencyKey.objects.exists()


# --- ETag / If-Match / Location / links -------------------------------------------------------
def test_objects_carry_etag_url_and_reference(api: Any, analyst: Any, requester: Any) -> None:
    incident = make_incident(requester)
    problem = make_problem(analyst)
    client = api(analyst)
    by_ref = client.get(f"/api/v1/incidents/{incident.ref}/")
    by_id = client.get(f"/api/v1/incidents/{incident.pk}/")
    assert by_ref.status_code == by_id.status_code == 200
    assert by_ref.json() == by_id.json()
    assert by_ref["ETag"] == by_id["ETag"] == concurrency.tag_of(incident)
    assert by_ref.json()["url"] == f"http://testserver/api/v1/incidents/{incident.pk}/"
    assert by_ref.json()["ref"] == incident.ref
    prb = client.get(f"/api/v1/problems/{problem.ref}/")
    assert prb.status_code == 200 and prb.json()["id"] == problem.pk and prb["ETag"]
    assert client.get("/api/v1/incidents/INC-999999/").status_code == 404


def test_201_has_location(api: Any, analyst: Any) -> None:
    created = api(analyst).post("/api/v1/problems/", {"title": "Jams"}, format="json")
    assert created.status_code == 201
    assert created["Location"] == created.json()["url"]
    assert created["ETag"] == concurrency.tag_of(Problem.objects.get())


def test_a_stale_resolve_cannot_undo_a_reopen(
    api: Any, requester: Any, analyst: Any, team: Any
) -> None:
    incident = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    # the analyst's tool read the incident...
    seen = api(analyst).get(f"/api/v1/incidents/{incident.pk}/")
    # ...then the requester reopened it...
    reopened = api(requester).post(
        f"/api/v1/incidents/{incident.pk}/reopen/", {"reason": "Jams again"}, format="json"
    )
    assert reopened.status_code == 200 and reopened["ETag"] != seen["ETag"]
    # ...and the analyst's stale resolve is refused instead of undoing the reopen
    stale = api(analyst).post(
        f"/api/v1/incidents/{incident.pk}/resolve/",
        {"resolution_code": "fixed", "resolution_notes": "Done"},
        format="json",
        HTTP_IF_MATCH=seen["ETag"],
    )
    assert stale.status_code == 412
    body = stale.json()
    assert body["code"] == "precondition.failed"
    assert body["message"] == (
        f"{incident.ref} has changed since you read it (it is now at version "
        f"{reopened['ETag']}). Fetch it again, check the change, and retry with the new ETag "
        "in If-Match."
    )
    assert body["details"] == {"if_match": [seen["ETag"]], "current_etag": reopened["ETag"]}
    incident.refresh_from_db()
    assert incident.status == "assigned"  # reopened, and it stays so
    assert incident.events.filter(type="incident.resolved").count() == 1
    # with the fresh ETag it goes through
    fresh = api(analyst).post(
        f"/api/v1/incidents/{incident.pk}/resolve/",
        {"resolution_code": "fixed", "resolution_notes": "Done"},
        format="json",
        HTTP_IF_MATCH=reopened["ETag"],
    )
    assert fresh.status_code == 200 and fresh.json()["status"] == "resolved"


def test_if_match_is_checked_under_the_services_row_lock(
    requester: Any, analyst: Any, team: Any
) -> None:
    """The write that slips in between the API's read and the service's lock is caught."""
    incident = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    read = Incident.objects.get(pk=incident.pk)
    tag = concurrency.tag_of(read)
    services.incident_reopen(incident=incident, actor=requester, reason="Again")
    with concurrency.expecting(read, frozenset({tag})), pytest.raises(PreconditionFailed):
        services.incident_resolve(incident=read, actor=analyst, code="fixed", notes="x")
    incident.refresh_from_db()
    assert incident.status == "assigned"  # reopened, and it stays so


def test_if_match_on_patch_and_on_problems(api: Any, requester: Any, analyst: Any) -> None:
    incident = make_incident(requester)
    problem = make_problem(analyst)
    client = api(analyst)
    ok = client.patch(
        f"/api/v1/incidents/{incident.pk}/",
        {"title": "New title"},
        format="json",
        HTTP_IF_MATCH=concurrency.tag_of(incident),
    )
    assert ok.status_code == 200
    again = client.patch(
        f"/api/v1/incidents/{incident.pk}/",
        {"title": "Newer"},
        format="json",
        HTTP_IF_MATCH=concurrency.tag_of(incident),
    )
    assert again.status_code == 412
    assert (
        client.patch(
            f"/api/v1/incidents/{incident.pk}/", {"title": "Any"}, format="json", HTTP_IF_MATCH="*"
        ).status_code
        == 200
    )
    stale_problem = client.post(
        f"/api/v1/problems/{problem.pk}/investigate/", {}, format="json", HTTP_IF_MATCH='"nope"'
    )
    assert stale_problem.status_code == 412
    assert Problem.objects.get().status == "new"


# --- PATCH: edit what was logged ---------------------------------------------------------------
def test_patch_edits_title_and_description_with_an_event(
    api: Any, requester: Any, analyst: Any
) -> None:
    incident = make_incident(requester)
    response = api(analyst).patch(
        f"/api/v1/incidents/{incident.ref}/",
        {"title": "Printer jams on floor 2 (tray 1)", "description": "Only tray 1."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Printer jams on floor 2 (tray 1)"
    event = incident.events.get(type="incident.edited")
    assert event.actor == analyst
    assert event.payload == {
        "changes": {
            "title": {"old": "Printer on floor 2 jams", "new": "Printer jams on floor 2 (tray 1)"},
            "description": {"old": "Every second page jams.", "new": "Only tray 1."},
        }
    }
    unchanged = api(analyst).patch(
        f"/api/v1/incidents/{incident.pk}/",
        {"title": "Printer jams on floor 2 (tray 1)"},
        format="json",
    )
    assert unchanged.status_code == 200
    assert incident.events.filter(type="incident.edited").count() == 1


@pytest.mark.parametrize(
    ("who", "expected"),
    [("requester", 403), ("other_requester", 404), ("analyst", 200), ("admin_user", 200)],
)
def test_patch_permission_matrix(
    request: Any, api: Any, requester: Any, who: str, expected: int
) -> None:
    incident = make_incident(requester)
    user = request.getfixturevalue(who)
    response = api(user).patch(f"/api/v1/incidents/{incident.pk}/", {"title": "X"}, format="json")
    assert response.status_code == expected
    assert (
        APIClient()
        .patch(f"/api/v1/incidents/{incident.pk}/", {"title": "X"}, format="json")
        .status_code
        == 401
    )
    if expected != 200:
        assert not incident.events.filter(type="incident.edited").exists()


def test_patch_refuses_a_closed_incident_and_a_blank_title(
    api: Any, requester: Any, analyst: Any, team: Any
) -> None:
    closed = incident_in("closed", requester=requester, analyst=analyst, team=team)
    response = api(analyst).patch(f"/api/v1/incidents/{closed.pk}/", {"title": "X"}, format="json")
    assert response.status_code == 409
    assert response.json()["message"] == f"{closed.ref} is closed; it can no longer be edited."
    fresh = make_incident(requester)
    blank = api(analyst).patch(f"/api/v1/incidents/{fresh.pk}/", {"title": "  "}, format="json")
    assert blank.status_code == 400


def test_edit_from_the_ticket_page_shows_on_the_timeline(
    client: Any, requester: Any, analyst: Any
) -> None:
    incident = make_incident(requester)
    client.force_login(analyst)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Edit title and description" in page
    response = client.post(
        f"/incidents/{incident.pk}/edit/",
        {"edit-title": "Printer jams (tray 1)", "edit-description": "Only tray 1."},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.description) == ("Printer jams (tray 1)", "Only tray 1.")
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert (
        "changed the title from “Printer on floor 2 jams” to “Printer jams (tray 1)” and "
        "edited the description" in page
    )
    client.force_login(requester)
    assert (
        "Edit title and description"
        not in client.get(f"/incidents/{incident.pk}/").content.decode()
    )
    assert client.post(f"/incidents/{incident.pk}/edit/", {"edit-title": "Mine"}).status_code == 403


@pytest.fixture
def settle(settings: Any) -> Any:
    def set_to(seconds: int) -> None:
        settings.CHANGE_FEED_SETTLE_SECONDS = seconds

    return set_to


# --- change feed -------------------------------------------------------------------------------
def _sync(client: Any, path: str, since: str, page_size: int = 2) -> list[int]:
    seen: list[int] = []
    after_id: int | None = None
    while True:
        params: dict[str, Any] = {"updated_after": since, "page_size": page_size}
        if after_id is not None:
            params["after_id"] = after_id
        page = client.get(path, params).json()
        rows = page["results"]
        if not rows:
            return seen
        seen += [row["id"] for row in rows]
        since, after_id = rows[-1]["updated_at"], rows[-1]["id"]


def test_change_feed_with_shared_timestamps_misses_and_repeats_nothing(
    api: Any, requester: Any, analyst: Any, settle: Any
) -> None:
    settle(0)
    start = timezone.now() - timedelta(hours=1)
    with time_machine.travel(start, tick=False) as clock:
        first = [make_incident(requester, title=f"A{i}") for i in range(5)]  # one timestamp
        clock.shift(timedelta(seconds=1))
        second = [make_incident(requester, title=f"B{i}") for i in range(3)]
    client = api(analyst)
    since = (start - timedelta(seconds=1)).isoformat()
    ids = _sync(client, "/api/v1/incidents/", since)
    assert ids == [i.pk for i in first] + [i.pk for i in second]
    # a later change shows up once, after the cursor
    services.incident_edit(incident=first[0], actor=analyst, title="A0 edited")
    newest = Incident.objects.get(pk=second[-1].pk).updated_at.isoformat()
    assert _sync(client, "/api/v1/incidents/", newest) == [first[0].pk]


def test_change_feed_on_problems_and_bad_values(api: Any, analyst: Any, settle: Any) -> None:
    settle(0)
    problems = [make_problem(analyst, title=f"P{i}") for i in range(3)]
    client = api(analyst)
    assert _sync(client, "/api/v1/problems/", "2000-01-01T00:00:00Z") == [p.pk for p in problems]
    bad = client.get("/api/v1/incidents/", {"updated_after": "yesterday"})
    assert bad.status_code == 400 and "updated_after" in bad.json()["details"]


def test_change_feed_query_count(
    api: Any, requester: Any, analyst: Any, django_assert_num_queries: Any, settle: Any
) -> None:
    settle(0)
    for i in range(4):
        make_incident(requester, title=f"T{i}")
    client = api(analyst)
    client.get("/api/v1/incidents/")  # warm caches (roles, content types)
    # count, the page's ids, its rows (small related rows joined), their people (one query)
    with django_assert_num_queries(4):
        client.get("/api/v1/incidents/", {"updated_after": "2000-01-01T00:00:00Z"})


def test_change_feed_uses_the_index(requester: Any) -> None:
    make_incident(requester)
    from incidents.models import Incident as Model

    names = {index.name for index in Model._meta.indexes}
    assert "inc_changes_idx" in names
    assert {i.name for i in Problem._meta.indexes} == {"prb_changes_idx"}


# --- one error shape, unknown parameters and fields, request ids -------------------------------
def test_unknown_api_url_is_json_404(api: Any, requester: Any) -> None:
    response = api(requester).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "request.unknown_endpoint",
        "message": "There is no API endpoint at /api/v1/nothing-here/. The endpoints are listed "
        "at /api/schema/ and /api/docs/.",
    }


def test_a_crash_under_api_is_json_500_with_the_request_id(
    api: Any, requester: Any, monkeypatch: Any
) -> None:
    from incidents import selectors

    def boom(**kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "incident_list", boom)
    client = api(requester)
    client.raise_request_exception = False
    response = client.get("/api/v1/incidents/", HTTP_X_REQUEST_ID="req-500")
    assert response.status_code == 500
    assert response.json() == {
        "code": "server.error",
        "message": "Something went wrong on our side; nothing you did caused it. It has been "
        "logged with request id req-500: quote it if you report it.",
        "details": {"request_id": "req-500"},
    }
    assert response["X-Request-ID"] == "req-500"


def test_unknown_query_parameters_are_400_naming_them(api: Any, analyst: Any) -> None:
    response = api(analyst).get("/api/v1/incidents/", {"stauts": "new", "zzz": "1"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "request.unknown_parameters"
    assert body["message"].startswith("Unknown query parameters: stauts, zzz. Accepted here: ")
    assert "status" in body["message"] and "updated_after" in body["message"]
    assert body["details"] == {
        "stauts": ["Unknown query parameter."],
        "zzz": ["Unknown query parameter."],
    }
    assert api(analyst).get("/api/v1/me/", {"x": "1"}).status_code == 400


def test_request_id_is_echoed_generated_or_replaced(api: Any, requester: Any) -> None:
    client = api(requester)
    assert client.get("/api/v1/me/", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    generated = client.get("/api/v1/me/")["X-Request-ID"]
    assert len(generated) == 32
    insane = client.get("/api/v1/me/", HTTP_X_REQUEST_ID="bad id\n<script>")["X-Request-ID"]
    assert insane != "bad id\n<script>" and len(insane) == 32
    assert client.get("/api/v1/nothing/", HTTP_X_REQUEST_ID="r-404")["X-Request-ID"] == "r-404"


def test_log_records_carry_the_request_id(api: Any, requester: Any) -> None:
    from servicedesk.requestid import RequestIdLogFilter

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        api(requester).get("/api/v1/incidents/999999/", HTTP_X_REQUEST_ID="trace-42")
    finally:
        logger.removeHandler(handler)
    assert records and records[-1].request_id == "trace-42"  # type: ignore[attr-defined]


def test_every_error_code_follows_area_dot_what() -> None:
    import re

    classes = [DomainError, *DomainError.__subclasses__()]
    for cls in list(classes):
        classes += cls.__subclasses__()
    for cls in classes:
        assert re.match(CODE_PATTERN, cls.code), cls


# --- every API view and input serializer uses the kernel ----------------------------------------
def _api_views(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _api_views(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
            found.append((route, getattr(entry.callback, "cls", None)))
    return found


def test_every_api_view_gets_the_kernel_behaviour() -> None:
    views = _api_views()
    assert len(views) > 10
    for route, cls in views:
        assert cls is not None and issubclass(cls, ApiViewMixin), (
            f"/{route} must derive from servicedesk.api.ApiViewMixin (ApiView, ApiViewSet, "
            "ReadOnlyApiViewSet) to get idempotency keys, If-Match, ETag and strict parameters"
        )


def test_every_input_serializer_refuses_unknown_fields() -> None:
    import importlib
    import pkgutil

    from django.apps import apps
    from rest_framework import serializers

    for config in apps.get_app_configs():
        if config.name.split(".")[0] not in {
            "servicedesk",
            "org",
            "incidents",
            "changes",
            "bypass",
            "metrics",
        }:
            continue
        for module in pkgutil.walk_packages([config.path], f"{config.name}."):
            if ".api" not in module.name or "migrations" in module.name:
                continue
            loaded = importlib.import_module(module.name)
            for name, value in vars(loaded).items():
                if (
                    isinstance(value, type)
                    and issubclass(value, serializers.Serializer)
                    and name.endswith("InputSerializer")
                ):
                    assert issubclass(value, InputSerializer), f"{module.name}.{name}"


# --- the schema check itself ------------------------------------------------------------------
def test_the_schema_check_catches_an_extra_field_and_an_undocumented_status(
    api: Any, requester: Any
) -> None:
    from django.http import JsonResponse

    good = api(requester).get("/api/v1/me/")
    with pytest.raises(SchemaMismatch, match="Additional properties"):
        check_response("GET", "/api/v1/me/", JsonResponse({**good.json(), "secret": 1}))
    with pytest.raises(SchemaMismatch, match="status 418 is not documented"):
        check_response("GET", "/api/v1/me/", JsonResponse({}, status=418))
    with pytest.raises(SchemaMismatch, match="does not match"):
        check_response(
            "GET", "/api/v1/me/", JsonResponse({"code": "BadCode", "message": "x"}, status=401)
        )


def test_change_feed_on_the_directory_lists(
    api: Any, requester: Any, analyst: Any, settle: Any
) -> None:
    settle(0)
    from tests.org.factories import TeamFactory, UserFactory

    start = timezone.now() - timedelta(hours=1)
    with time_machine.travel(start, tick=False):
        people = [UserFactory(username=f"p{i}") for i in range(3)]
        teams = [TeamFactory(slug=f"t{i}", name=f"Team {i}") for i in range(3)]
    client = api(requester)
    since = (start - timedelta(seconds=1)).isoformat()
    users = _sync(client, "/api/v1/users/", since)
    assert users[:3] == [p.pk for p in people]
    assert sorted(users[3:]) == sorted([requester.pk, analyst.pk])  # made in real time, later
    assert _sync(client, "/api/v1/teams/", since)[:3] == [t.pk for t in teams]
    later = (start + timedelta(seconds=1)).isoformat()
    assert sorted(_sync(client, "/api/v1/users/", later)) == sorted([requester.pk, analyst.pk])


def test_problem_patch_records_old_and_new_like_incidents(api: Any, analyst: Any) -> None:
    problem = make_problem(analyst, description="Jams")
    response = api(analyst).patch(
        f"/api/v1/problems/{problem.ref}/", {"root_cause": "Worn roller"}, format="json"
    )
    assert response.status_code == 200
    event = problem.events.get(type="problem.updated")
    assert event.payload == {"changes": {"root_cause": {"old": "", "new": "Worn roller"}}}


def test_an_api_url_without_its_slash_is_a_json_404_not_a_redirect(
    api: Any, requester: Any
) -> None:
    response = api(requester).post("/api/v1/incidents", NEW, format="json")
    assert response.status_code == 404
    assert response.json()["message"] == (
        "There is no API endpoint at /api/v1/incidents. Did you mean /api/v1/incidents/ (with "
        "the trailing slash)? The endpoints are listed at /api/schema/ and /api/docs/."
    )
    assert not Incident.objects.exists()


def test_every_201_has_a_location_that_answers(
    api: Any, requester: Any, analyst: Any, team: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    incident = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    client = api(requester)
    base = f"/api/v1/incidents/{incident.pk}"
    created = [
        client.post(f"{base}/comments/", {"body": "Thanks"}, format="json"),
        client.post(f"{base}/satisfaction/", {"rating": 5}, format="json"),
        client.post(
            f"{base}/attachments/",
            {"file": SimpleUploadedFile("log.txt", b"hello", content_type="text/plain")},
            format="multipart",
        ),
    ]
    for response in created:
        assert response.status_code == 201, response.content
        assert response["Location"] == response.json()["url"]
        again = client.get(response["Location"])
        assert again.status_code == 200 and again.json() == response.json()
    note = api(analyst).post(
        f"{base}/comments/", {"body": "Internal", "internal": True}, format="json"
    )
    assert client.get(note["Location"]).status_code == 404  # requesters never see notes


def test_an_action_without_input_refuses_a_body(api: Any, requester: Any, analyst: Any) -> None:
    incident = make_incident(requester)
    response = api(analyst).post(
        f"/api/v1/incidents/{incident.pk}/take/", {"who": "me"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Unknown field: who. Accepted here: none."
    incident.refresh_from_db()
    assert incident.assignee is None


def test_admin_lists_idempotency_keys_read_only(client: Any, admin_user: Any, api: Any) -> None:
    api(admin_user).post("/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="adm-1")
    client.force_login(admin_user)
    page = client.get("/admin/servicedesk/idempotencykey/")
    assert page.status_code == 200 and "adm-1" in page.content.decode()
    assert client.get("/admin/servicedesk/idempotencykey/add/").status_code == 403


def test_a_crash_releases_the_idempotency_key(api: Any, requester: Any, monkeypatch: Any) -> None:
    def boom(**kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    real = services.incident_create
    monkeypatch.setattr(services, "incident_create", boom)
    client = api(requester)
    client.raise_request_exception = False
    crashed = client.post("/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-500")
    assert crashed.status_code == 500 and crashed.json()["code"] == "server.error"
    assert not IdempotencyKey.objects.exists()
    monkeypatch.setattr(services, "incident_create", real)
    retried = client.post("/api/v1/incidents/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-500")
    assert retried.status_code == 201


def test_change_feed_holds_back_rows_changed_in_the_last_seconds(
    api: Any, requester: Any, analyst: Any, settle: Any
) -> None:
    settle(2)
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        incident = make_incident(requester)
        client = api(analyst)
        assert _sync(client, "/api/v1/incidents/", since) == []  # may not be committed yet
        clock.shift(timedelta(seconds=2))
        assert _sync(client, "/api/v1/incidents/", since) == [incident.pk]


def test_change_feed_takes_any_offset_python_can_read(api: Any, analyst: Any) -> None:
    """PostgreSQL cannot store a +19:20 offset; the filter turns the time to UTC first."""
    for path in ("/api/v1/services/", "/api/v1/users/", "/api/v1/incidents/"):
        response = api(analyst).get(f"{path}?updated_after=0700-11-24T21:59:49.18%2B19:20")
        assert response.status_code == 200, (path, response.content)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("updated_after=9999-12-31T23:59:59-05:00", "updated_after"),
        ("updated_after=2026-01-01T00:00:00Z&after_id=99999999999999999999", "after_id"),
    ],
)
def test_change_feed_times_and_ids_out_of_range_are_a_400(
    api: Any, analyst: Any, query: str, field: str
) -> None:
    for path in ("/api/v1/services/", "/api/v1/users/", "/api/v1/incidents/"):
        response = api(analyst).get(f"{path}?{query}")
        assert response.status_code == 400, (path, response.content)
        assert response.json()["code"] == "request.invalid"
        assert field in response.json()["details"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/changes/?owner_team_id=99999999999999999999",
        "/api/v1/incidents/?team_id=99999999999999999999",
        "/api/v1/problems/?owner_team_id=99999999999999999999",
    ],
)
def test_an_id_past_64_bits_in_a_filter_is_a_400(api: Any, analyst: Any, path: str) -> None:
    """Past PostgreSQL's bigint Django finds nothing ("not one of the available choices");
    past SQLite's integers the driver overflows: both are the client's error, never a 500."""
    response = api(analyst).get(path)
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"request.invalid", "request.out_of_range"}
