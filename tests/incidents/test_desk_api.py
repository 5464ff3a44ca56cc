"""API of the desk: merge, unlink-problem, on-behalf logging, known errors and canned replies —
the permission matrix per endpoint, full refusal texts, query counts and the schema."""

from typing import Any

import pytest

from incidents import services
from incidents.models import CannedReply, Incident, IncidentEvent

from ..org.factories import BusinessServiceFactory
from .factories import incident_in, make_incident, make_problem
from .test_api import ACTORS, ROLE_QUERIES, actor, codes, fresh, matrix

MERGE = codes(401, 403, 404, 200, 403, 200, 200)
UNLINK = codes(401, 403, 404, 200, 200, 200, 200)


def published(actor_: Any, **kwargs: Any) -> Any:
    problem = make_problem(actor_, **kwargs)
    services.problem_publish_workaround(problem=problem, actor=actor_, workaround="Use webmail.")
    return problem


@pytest.mark.parametrize(("case", "who", "expected"), matrix({"merge": MERGE}))
def test_merge_permission_matrix(
    request: Any,
    api: Any,
    requester: Any,
    other_requester: Any,
    analyst: Any,
    team: Any,
    case: str,
    who: str,
    expected: int,
) -> None:
    kept = make_incident(other_requester, title="Kept")
    duplicate = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    events = IncidentEvent.objects.count()
    response = api(actor(request, who)).post(
        f"/api/v1/incidents/{duplicate.pk}/merge/",
        {"into_id": kept.pk, "note": "Same"},
        format="json",
    )
    assert response.status_code == expected, response.content
    duplicate.refresh_from_db()
    if expected == 200:
        body = response.json()
        assert body["status"] == "closed" and body["resolution_code"] == "duplicate"
        assert body["resolution_notes"] == f"Merged into {kept.ref}: Kept"
        assert duplicate.merged_into == kept and requester in kept.watchers.all()
    else:
        assert set(response.json()) >= {"code", "message"}
        assert duplicate.status == "assigned" and IncidentEvent.objects.count() == events


def test_merge_refusals_read_in_full(api: Any, requester: Any, analyst: Any, team: Any) -> None:
    client = api(analyst)
    one = make_incident(requester)
    done = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    cases = [
        (one, {"into_id": one.pk}, 409, f"{one.ref} cannot be merged into itself."),
        (one, {"into_id": done.pk}, 409, f"{done.ref} is resolved; merge into an open ticket."),
        (done, {"into_id": one.pk}, 409, "Cannot merge an incident that is resolved."),
        (one, {"into_id": 999999}, 400, "No incident INC-999999 to merge into."),
    ]
    for incident, body, status, message in cases:
        response = client.post(f"/api/v1/incidents/{incident.pk}/merge/", body, format="json")
        assert (response.status_code, response.json()["message"]) == (status, message)
    missing = client.post(f"/api/v1/incidents/{one.pk}/merge/", {}, format="json")
    assert missing.status_code == 400 and "into_id" in missing.json()["details"]


@pytest.mark.parametrize(("case", "who", "expected"), matrix({"unlink": UNLINK}))
def test_unlink_permission_matrix(
    request: Any, api: Any, requester: Any, analyst: Any, case: str, who: str, expected: int
) -> None:
    problem = make_problem(analyst)
    incident = make_incident(requester)
    services.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[incident.pk])
    response = api(actor(request, who)).post(
        f"/api/v1/incidents/{incident.pk}/unlink-problem/", {"reason": "Wrong"}, format="json"
    )
    assert response.status_code == expected, response.content
    incident.refresh_from_db()
    if expected == 200:
        assert response.json()["problem"] is None and incident.problem is None
    else:
        assert incident.problem == problem
    if who == "requester":
        assert response.json()["message"] == "Only analysts and managers manage problems."


def test_unlink_of_an_unlinked_incident_is_409(api: Any, requester: Any, analyst: Any) -> None:
    incident = make_incident(requester)
    response = api(analyst).post(f"/api/v1/incidents/{incident.pk}/unlink-problem/")
    assert response.status_code == 409
    assert response.json() == {
        "code": "problem.not_linked",
        "message": f"{incident.ref} is not linked to a problem.",
    }


def test_link_asks_before_moving_and_sends_only_when_asked(
    api: Any, requester: Any, analyst: Any
) -> None:
    old, new = make_problem(analyst, title="Old"), published(analyst, title="New")
    incident = make_incident(requester)
    services.problem_link_incidents(problem=old, actor=analyst, incident_ids=[incident.pk])
    client = api(analyst)
    link = f"/api/v1/problems/{new.pk}/link-incidents/"
    refused = client.post(link, {"incident_ids": [incident.pk]}, format="json")
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "problem_link.move_unconfirmed",
        "message": f"{incident.ref} is already linked to {old.ref}. Confirm to move it to "
        f"{new.ref}.",
        "details": {"moves": [{"incident_id": incident.pk, "from_problem_id": old.pk}]},
    }
    moved = client.post(link, {"incident_ids": [incident.pk], "move": True}, format="json")
    assert moved.status_code == 200
    incident.refresh_from_db()
    assert incident.problem == new and incident.workaround == ""  # not sent: not asked
    other = make_incident(requester)
    sent = client.post(link, {"incident_ids": [other.pk], "send_workaround": True}, format="json")
    assert sent.status_code == 200
    other.refresh_from_db()
    assert other.workaround == "Use webmail."


# --- logging on behalf ---------------------------------------------------------------------
def test_on_behalf_with_a_channel(api: Any, requester: Any, analyst: Any) -> None:
    body = {"title": "Cannot print", "requester_id": requester.pk, "channel": "phone"}
    response = api(analyst).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["channel"], created["requester"]["id"], created["reported_by"]["id"]) == (
        "phone",
        requester.pk,
        analyst.pk,
    )


def test_requester_sending_someone_elses_id_is_refused_clearly(
    api: Any, requester: Any, other_requester: Any
) -> None:
    client = api(requester)
    refused = client.post(
        "/api/v1/incidents/",
        {"title": "x", "requester_id": other_requester.pk},
        format="json",
    )
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "auth.permission_denied",
        "message": "Only analysts can log an incident on behalf of someone else.",
    }
    unknown = client.post("/api/v1/incidents/", {"title": "x", "requester_id": 999999})
    assert unknown.status_code == 400 and "requester_id" in unknown.json()["details"]
    own = client.post("/api/v1/incidents/", {"title": "x", "requester_id": requester.pk})
    assert own.status_code == 201
    bad_channel = client.post("/api/v1/incidents/", {"title": "x", "channel": "pigeon"})
    assert bad_channel.status_code == 400 and "channel" in bad_channel.json()["details"]
    assert Incident.objects.count() == 1


# --- known errors --------------------------------------------------------------------------
@pytest.mark.parametrize("who", ACTORS)
def test_known_errors_are_for_everyone_signed_in(
    request: Any, api: Any, analyst: Any, team: Any, who: str
) -> None:
    service = BusinessServiceFactory(slug="mail", name="Mail", owner_team=team)
    known = published(analyst, title="Outlook crashes", services=[service])
    make_problem(analyst, title="Unpublished")
    client = api(actor(request, who))
    listing = client.get("/api/v1/known-errors/")
    one = client.get(f"/api/v1/known-errors/{known.pk}/")
    if who == "anonymous":
        assert (listing.status_code, one.status_code) == (401, 401)
        return
    assert listing.status_code == 200 and one.status_code == 200
    assert [k["title"] for k in listing.json()["results"]] == ["Outlook crashes"]
    assert set(one.json()) == {
        "id",
        "url",
        "ref",
        "title",
        "status",
        "services",
        "workaround",
        "workaround_published_at",
    }  # never the root cause or the description
    assert one.json()["services"][0]["name"] == "Mail"


def test_known_errors_filters_and_404(api: Any, requester: Any, analyst: Any, team: Any) -> None:
    mail_service = BusinessServiceFactory(slug="mail", name="Mail", owner_team=team)
    vpn = BusinessServiceFactory(slug="vpn", name="VPN", owner_team=team)
    published(analyst, title="Outlook crashes", services=[mail_service])
    published(analyst, title="VPN drops hourly", services=[vpn])
    hidden = make_problem(analyst, title="Unpublished")
    client = api(requester)

    def titles(query: str) -> list[str]:
        return [k["title"] for k in client.get(f"/api/v1/known-errors/?{query}").json()["results"]]

    assert titles(f"service_id={vpn.pk}") == ["VPN drops hourly"]
    assert titles("q=outlook") == ["Outlook crashes"]
    assert titles("q=webmail") == ["VPN drops hourly", "Outlook crashes"]  # newest first
    bad = client.get("/api/v1/known-errors/?service_id=999999")
    assert bad.status_code == 400 and "service_id" in bad.json()["details"]
    assert client.get(f"/api/v1/known-errors/{hidden.pk}/").status_code == 404


@pytest.mark.parametrize("rows", [3, 20])
def test_known_error_list_query_count_is_constant(
    api: Any, requester: Any, analyst: Any, team: Any, rows: int, django_assert_num_queries: Any
) -> None:
    services_ = [
        BusinessServiceFactory(slug=f"s{n}", name=f"S{n}", owner_team=team) for n in range(2)
    ]
    for n in range(rows):
        published(analyst, title=f"Known {n}", services=services_)
    client = api(fresh(requester))
    # count, page, services prefetch; no role lookups: the list is the same for everyone
    with django_assert_num_queries(3):
        response = client.get("/api/v1/known-errors/?page_size=50")
    assert response.json()["count"] == rows


# --- canned replies ------------------------------------------------------------------------
READ = codes(401, 200, 200, 200, 200, 200, 200)
WRITE = codes(401, 403, 403, 403, 403, 201, 201)


@pytest.mark.parametrize("who", ACTORS)
def test_canned_reply_permission_matrix(
    request: Any, api: Any, team: Any, manager: Any, who: str
) -> None:
    reply = services.canned_reply_create(
        actor=manager, team=team, title="Reset", body="Hi {requester_first_name}"
    )
    client = api(actor(request, who))
    listing = client.get("/api/v1/canned-replies/")
    assert listing.status_code == READ[who]
    agent = who in {"analyst", "other_analyst", "manager", "admin_user"}
    if READ[who] == 200:
        assert len(listing.json()["results"]) == (1 if agent else 0)
    one = client.get(f"/api/v1/canned-replies/{reply.pk}/")
    assert one.status_code == (401 if who == "anonymous" else 200 if agent else 404)
    created = client.post(
        "/api/v1/canned-replies/",
        {"team_id": team.pk, "title": "New", "body": "Thanks, {analyst_name}"},
        format="json",
    )
    assert created.status_code == WRITE[who], created.content
    if created.status_code == 403:
        assert created.json()["message"] == (
            "Only the lead of Desk, a manager or an admin manages its canned replies."
        )
    patched = client.patch(
        f"/api/v1/canned-replies/{reply.pk}/", {"is_active": False}, format="json"
    )
    expected_patch = {201: 200, 403: 403 if agent else 404, 401: 401}[WRITE[who]]
    assert patched.status_code == expected_patch
    deleted = client.delete(f"/api/v1/canned-replies/{reply.pk}/")
    assert (
        deleted.status_code == {200: 204, 403: expected_patch, 404: 404, 401: 401}[expected_patch]
    )
    assert CannedReply.objects.filter(pk=reply.pk).exists() == (deleted.status_code != 204)


def test_canned_reply_bad_input(api: Any, team: Any, manager: Any) -> None:
    client = api(manager)
    bad = client.post(
        "/api/v1/canned-replies/",
        {"team_id": team.pk, "title": "Bad", "body": "Dear {customer}"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["message"] == (
        "Unknown placeholder {customer}. You can use: {requester_first_name}, {requester_name}, "
        "{reference}, {title}, {analyst_name}, {analyst_first_name}, {team_name}."
    )
    client.post(
        "/api/v1/canned-replies/", {"team_id": team.pk, "title": "Dup", "body": "x"}, format="json"
    )
    dup = client.post(
        "/api/v1/canned-replies/", {"team_id": team.pk, "title": "Dup", "body": "y"}, format="json"
    )
    assert dup.status_code == 409
    assert dup.json()["message"] == "Desk already has a canned reply called “Dup”."
    missing = client.post("/api/v1/canned-replies/", {"title": "x"}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["details"]) == {"team_id", "body"}


@pytest.mark.parametrize("rows", [3, 20])
def test_canned_reply_list_query_count_is_constant(
    api: Any,
    team: Any,
    other_team: Any,
    manager: Any,
    analyst: Any,
    admin_user: Any,
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    for n in range(rows):
        services.canned_reply_create(
            actor=admin_user, team=team if n % 2 else other_team, title=f"Reply {n}", body="x"
        )
    client = api(fresh(analyst))
    with django_assert_num_queries(ROLE_QUERIES + 2):  # count, page (team and author joined)
        response = client.get("/api/v1/canned-replies/?page_size=50")
    assert response.json()["count"] == rows
    filtered = client.get(f"/api/v1/canned-replies/?team_id={team.pk}").json()
    assert {r["team"]["id"] for r in filtered["results"]} == {team.pk}


def test_schema_documents_the_desk_endpoints(api: Any, requester: Any) -> None:
    schema = api(requester).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "409" in paths["/api/v1/incidents/{id}/merge/"]["post"]["responses"]
    assert "409" in paths["/api/v1/incidents/{id}/unlink-problem/"]["post"]["responses"]
    assert "200" in paths["/api/v1/known-errors/"]["get"]["responses"]
    assert "201" in paths["/api/v1/canned-replies/"]["post"]["responses"]


def test_merged_into_and_on_behalf_filters(
    api: Any, requester: Any, other_requester: Any, analyst: Any
) -> None:
    kept = make_incident(requester, title="Kept")
    duplicate = make_incident(other_requester, title="Dup")
    called = services.incident_create(
        actor=analyst, requester=requester, channel="phone", title="Called in"
    )
    services.incident_merge(incident=duplicate, into=kept, actor=analyst)
    client = api(analyst)
    body = client.get(f"/api/v1/incidents/{duplicate.pk}/").json()
    assert body["merged_into"] == {"id": kept.pk, "ref": kept.ref, "title": "Kept", "status": "new"}
    assert client.get(f"/api/v1/incidents/{kept.pk}/").json()["merged_into"] is None

    def refs(query: str) -> list[str]:
        return [i["ref"] for i in client.get(f"/api/v1/incidents/?{query}").json()["results"]]

    assert refs("channel=phone") == [called.ref]
    assert refs(f"reported_by_id={analyst.pk}") == [called.ref]
    bad = client.get("/api/v1/incidents/?channel=pigeon")
    assert bad.status_code == 400 and "channel" in bad.json()["details"]
