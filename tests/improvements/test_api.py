"""The improvements and process-debt API: permission matrix per endpoint, one action per
transition, refusals with their full texts and no side effects, exact query counts."""

from typing import Any

import pytest

from improvements import services
from improvements.models import Improvement, ImprovementEvent, ProcessDebt

from ..incidents.factories import make_incident
from .conftest import approved_bypass

pytestmark = pytest.mark.django_db
ROLES = ["anonymous", "requester", "analyst", "manager", "process_owner", "admin_user"]


def person(request: Any, who: str) -> Any:
    return None if who == "anonymous" else request.getfixturevalue(who)


def make(actor: Any, n: int = 1) -> list[Improvement]:
    return [
        services.improvement_suggest(actor=actor, title=f"Idea {i}", description="Because.")
        for i in range(n)
    ]


@pytest.mark.parametrize("who", ROLES)
def test_everyone_signed_in_reads_and_suggests(request, api, who, process_owner, requester):
    user = person(request, who)
    (row,) = make(requester)
    client = api(user)
    listed = client.get("/api/v1/improvements/")
    detail = client.get(f"/api/v1/improvements/{row.ref}/")
    created = client.post(
        "/api/v1/improvements/",
        {"title": "Shorter form", "description": "Ten fields"},
        format="json",
    )
    if user is None:
        assert (listed.status_code, detail.status_code, created.status_code) == (401, 401, 401)
        assert Improvement.objects.count() == 1
        return
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert detail.status_code == 200 and detail.json()["ref"] == row.ref
    assert created.status_code == 201
    data = created.json()
    assert (data["status"], data["suggested_by"]["id"], data["owner_group"]) == (
        "suggested",
        user.pk,
        "Process owners",
    )


@pytest.mark.parametrize("who", ROLES)
def test_only_owners_take_transitions(request, api, who, process_owner, requester):
    user = person(request, who)
    (row,) = make(requester)
    response = api(user).post(f"/api/v1/improvements/{row.pk}/accept/")
    expected = {"anonymous": 401, "process_owner": 200, "admin_user": 200}.get(who, 403)
    assert response.status_code == expected
    if expected == 403:
        assert response.json() == {
            "code": "improvement.permission.owner",
            "message": "Only the improvement's owner, its owning group, a process owner or an "
            "admin may do this.",
        }
    row.refresh_from_db()
    assert row.status == ("accepted" if expected == 200 else "suggested")


def test_each_transition_through_the_api(api, process_owner, requester):
    (row,) = make(requester)
    client = api(process_owner)
    url = f"/api/v1/improvements/{row.pk}/"
    assert client.post(url + "accept/").json()["status"] == "accepted"
    data = client.post(url + "start/").json()
    assert (data["status"], data["actions"]) == ("in_progress", ["complete", "decline"])
    refused = client.post(url + "accept/")
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "state.transition_not_allowed",
        "message": "Cannot accept an improvement that is in progress.",
        "details": {"status": "in_progress", "action": "accept"},
    }
    assert client.post(url + "complete/").json()["status"] == "done"
    assert [e["type"] for e in client.get(url + "events/").json()] == [
        "improvement.suggested",
        "improvement.accepted",
        "improvement.in_progress",
        "improvement.done",
    ]


def test_declining_needs_a_reason(api, process_owner, requester):
    (row,) = make(requester)
    url = f"/api/v1/improvements/{row.pk}/decline/"
    missing = api(process_owner).post(url, {}, format="json")
    assert missing.status_code == 400
    short = api(process_owner).post(url, {"reason": "no"}, format="json")
    assert short.status_code == 409
    assert short.json()["message"] == (
        "Say why it is declined (at least 10 characters): the person who suggested it will read it."
    )
    assert ImprovementEvent.objects.filter(improvement=row).count() == 1
    done = api(process_owner).post(url, {"reason": "Audit needs it."}, format="json")
    assert (done.json()["status"], done.json()["decline_reason"]) == (
        "declined",
        "Audit needs it.",
    )


def test_vote_toggles_and_shows_mine(api, requester, analyst, process_owner):
    (row,) = make(requester)
    url = f"/api/v1/improvements/{row.pk}/vote/"
    first = api(analyst).post(url).json()
    assert (first["voted"], first["votes_count"]) == (True, 1)
    assert api(requester).get(f"/api/v1/improvements/{row.pk}/").json()["voted"] is False
    again = api(analyst).post(url).json()
    assert (again["voted"], again["votes_count"]) == (False, 0)
    assert api(None).post(url).status_code == 401


def test_suggest_with_evidence_from_a_ticket(api, requester, other_requester, process_owner):
    mine, theirs = make_incident(requester), make_incident(other_requester)
    ok = api(requester).post(
        "/api/v1/improvements/",
        {"title": "T", "description": "D", "evidence": [f"incident:{mine.pk}"]},
        format="json",
    )
    assert ok.status_code == 201
    assert ok.json()["evidence"][0]["ref"] == mine.ref
    hidden = api(requester).post(
        "/api/v1/improvements/",
        {"title": "T", "description": "D", "evidence": [f"incident:{theirs.pk}"]},
        format="json",
    )
    assert hidden.status_code == 404
    assert hidden.json()["message"] == f"No incident {theirs.pk} that you can see."
    bad = api(requester).post(
        "/api/v1/improvements/",
        {"title": "T", "description": "D", "evidence": ["ticket:1"]},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["message"] == (
        "Evidence 'ticket:1' is not understood: use kind:id, e.g. incident:42 (kinds: "
        "incident, problem, change, bypass_request, bypass_review, process_debt)."
    )
    assert Improvement.objects.count() == 1


def test_reassign_is_for_process_owners(api, requester, analyst, manager, process_owner):
    (row,) = make(requester)
    url = f"/api/v1/improvements/{row.pk}/reassign/"
    refused = api(manager).post(url, {"owner_id": analyst.pk}, format="json")
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "Only a process owner or an admin may reassign an improvement."
    )
    done = api(process_owner).post(url, {"owner_id": analyst.pk}, format="json")
    assert done.json()["owner"] == {"id": analyst.pk, "name": analyst.name}
    unknown = api(process_owner).post(url, {"owner_id": 99999}, format="json")
    assert unknown.status_code == 400 and unknown.json()["message"] == "No such person."


def test_filters_and_unknown_filters(api, requester, analyst, process_owner):
    make(requester, 2)
    make(analyst, 1)
    client = api(requester)
    assert client.get("/api/v1/improvements/?mine=true").json()["count"] == 2
    assert client.get("/api/v1/improvements/?status=done").json()["count"] == 0
    bad = client.get("/api/v1/improvements/?colour=red")
    assert bad.status_code == 400 and bad.json()["code"] == "request.unknown_parameters"
    wrong = client.get("/api/v1/improvements/?status=finished")
    assert wrong.status_code == 400


@pytest.mark.parametrize("n", [1, 4])
def test_list_query_count_is_constant(api, requester, process_owner, n, django_assert_num_queries):
    make(requester, n)
    client = api(requester)
    with django_assert_num_queries(2):  # count, page (people and service joined in)
        response = client.get("/api/v1/improvements/")
    assert response.json()["count"] == n


@pytest.fixture
def debt(analyst, owners, requester, debt_policies):
    for _ in range(3):
        approved_bypass(analyst, owners[0], beneficiary=requester)
    services.debt_sweep()
    return ProcessDebt.objects.get()


@pytest.mark.parametrize("who", ROLES)
def test_process_debt_permission_matrix(request, api, who, debt):
    user = person(request, who)
    client = api(user)
    listed = client.get("/api/v1/process-debt/")
    detail = client.get(f"/api/v1/process-debt/{debt.pk}/")
    sees = who in ("manager", "process_owner", "admin_user")
    if user is None:
        assert (listed.status_code, detail.status_code) == (401, 401)
        return
    assert listed.status_code == 200 and listed.json()["count"] == (1 if sees else 0)
    assert detail.status_code == (200 if sees else 404)
    if sees:
        assert detail.json()["gate_title"] == "Customer confirmation"
        assert detail.json()["request_count"] == 3
    else:
        assert detail.json()["message"] == f"No process debt {debt.pk} that you can see."


def test_process_debt_convert_and_query_count(
    api, debt, owners, manager, django_assert_num_queries
):
    with django_assert_num_queries(5):  # roles (groups, teams, led teams), count, page
        assert api(owners[0]).get("/api/v1/process-debt/").json()["count"] == 1
    refused = api(manager).post(f"/api/v1/process-debt/{debt.pk}/convert/")
    assert refused.status_code == 403
    done = api(owners[0]).post(f"/api/v1/process-debt/{debt.ref}/convert/")
    assert done.status_code == 201 and done.json()["source"] == "process_debt"
    again = api(owners[0]).post(f"/api/v1/process-debt/{debt.pk}/convert/")
    assert again.status_code == 409


def test_schema_lists_the_endpoints(api, admin_user):
    schema = api(admin_user).get("/api/schema/?format=json")
    paths = schema.json()["paths"] if schema["content-type"].startswith("application/json") else {}
    if not paths:
        import yaml

        paths = yaml.safe_load(schema.content)["paths"]
    for path in (
        "/api/v1/improvements/",
        "/api/v1/improvements/{id}/accept/",
        "/api/v1/improvements/{id}/decline/",
        "/api/v1/improvements/{id}/vote/",
        "/api/v1/process-debt/",
        "/api/v1/process-debt/{id}/",
    ):
        assert path in paths
