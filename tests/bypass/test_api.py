"""Bypass API: the permission matrix, actions per transition, refusals without 500s or side
effects, query counts, the ledger and gates endpoints."""

from typing import Any

import pytest

from bypass.choices import State
from bypass.models import BypassEvent, BypassRequest
from org.models import User

from .conftest import file

pytestmark = pytest.mark.django_db
GATE = "incident.triage.priority_matrix"


def fresh(user: Any) -> Any:
    return User.objects.get(pk=user.pk) if user is not None else None


def body(incident: Any, **kw: Any) -> dict[str, Any]:
    data = {
        "subject_type": "incidents.incident",
        "subject_id": incident.pk,
        "items": [{"gate": GATE, "treatment": "override", "value": "1"}],
        "reason_category": "service_restoration",
        "justification": "The trading floor cannot trade; every desk is affected.",
        "what_does_not_fit": "One reporter makes the matrix say low impact.",
    }
    data.update(kw)
    return data


def test_file_and_approve_through_the_api(api, analyst, incident, owners):
    response = api(analyst).post("/api/v1/bypass-requests/", body(incident), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["ref"].startswith("BYP-") and data["state"] == State.IN_REVIEW
    assert data["recurrence"]
    ref = data["ref"]
    assert api(analyst).post(f"/api/v1/bypass-requests/{ref}/approve/").status_code == 403
    response = api(owners[0]).post(f"/api/v1/bypass-requests/{ref}/reject/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "guard_failed.bypass.rejection.reason"
    response = api(owners[0]).post(
        f"/api/v1/bypass-requests/{ref}/approve/", {"comment": "ok"}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == State.ACTIVE
    response = api(owners[1]).post(
        f"/api/v1/bypass-requests/{ref}/revoke/", {"reason": "Matrix fixed"}, format="json"
    )
    assert response.json()["state"] == State.REVOKED


def test_request_info_respond_withdraw(api, analyst, incident, owners):
    ref = file(analyst, incident).ref
    url = f"/api/v1/bypass-requests/{ref}/"
    r = api(owners[0]).post(url + "request-info/", {"comment": "Which floor?"}, format="json")
    assert r.json()["state"] == State.AWAITING_REQUESTER
    r = api(analyst).post(url + "respond/", {"answer": "Floor 3."}, format="json")
    assert r.json()["state"] == State.IN_REVIEW
    r = api(analyst).post(url + "withdraw/", {"reason": "no longer needed"}, format="json")
    assert r.json()["state"] == State.WITHDRAWN


def test_draft_then_submit(api, analyst, incident, owners):
    r = api(analyst).post("/api/v1/bypass-requests/", body(incident, submit=False), format="json")
    assert r.json()["state"] == State.DRAFT
    r = api(analyst).post(f"/api/v1/bypass-requests/{r.json()['id']}/submit/")
    assert r.json()["state"] == State.IN_REVIEW


@pytest.mark.parametrize(
    "bad",
    [
        {"items": []},
        {"items": "x"},
        {"items": [{"gate": "nope", "treatment": "skip"}]},
        {"items": [{"gate": "incident.sla.clock_rules", "treatment": "skip"}]},
        {"subject_id": 999999},
        {"subject_type": "nope.nope"},
        {"subject_id": "x"},
        {"reason_category": "vip"},
        {"justification": "short"},
        {"valid_until": "2000-01-01T00:00:00Z"},
        {"valid_until": "not a date"},
        {"max_uses": 0},
        {"beneficiary_id": 99999},
    ],
)
def test_bad_input_is_400_and_changes_nothing(api, analyst, incident, owners, bad):
    before = (BypassRequest.objects.count(), BypassEvent.objects.count())
    response = api(analyst).post("/api/v1/bypass-requests/", body(incident, **bad), format="json")
    assert response.status_code == 400, response.content
    assert (BypassRequest.objects.count(), BypassEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("who", "list_code", "sees", "ledger_code"),
    [
        ("anonymous", 401, None, 401),
        ("requester", 200, 0, 403),
        ("analyst", 200, 1, 403),
        ("manager", 200, 1, 200),
        ("admin_user", 200, 1, 200),
    ],
)
def test_permission_matrix(
    request, api, analyst, incident, owners, who, list_code, sees, ledger_code
):
    req = file(analyst, incident)
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = api(fresh(user))
    r = client.get("/api/v1/bypass-requests/")
    assert r.status_code == list_code
    if sees is not None:
        assert r.json()["count"] == sees
    detail = client.get(f"/api/v1/bypass-requests/{req.ref}/")
    assert detail.status_code == {0: 404, 1: 200, None: 401}[sees]
    assert client.get("/api/v1/bypass-ledger/").status_code == ledger_code
    assert client.get("/api/v1/bypass-ledger/verify/").status_code == ledger_code
    gates = client.get("/api/v1/gates/")
    assert gates.status_code == (401 if user is None else 200)
    assert client.get("/api/v1/bypass-policies/").status_code == (401 if user is None else 200)


def test_gates_and_ledger_endpoints(api, analyst, incident, owners, manager):
    file(analyst, incident)
    gates = api(analyst).get("/api/v1/gates/").json()
    ids = {g["id"]: g for g in gates}
    assert ids["incident.sla.clock_rules"]["bypassable"] is False
    assert ids[GATE]["treatments"] == ["override"]
    verify = api(fresh(manager)).get("/api/v1/bypass-ledger/verify/").json()
    assert verify["ok"] and verify["length"] == BypassEvent.objects.count()
    entries = api(fresh(manager)).get("/api/v1/bypass-ledger/").json()["results"]
    assert entries[0]["seq"] == verify["length"]
    assert api(fresh(manager)).post("/api/v1/bypass-ledger/").status_code == 405
    assert api(fresh(manager)).delete("/api/v1/bypass-ledger/1/").status_code in (404, 405)


def test_unknown_filter_and_bad_ids(api, analyst, incident, owners):
    client = api(analyst)
    assert client.get("/api/v1/bypass-requests/?colour=red").status_code == 400
    assert client.get("/api/v1/bypass-requests/?state=nope").status_code == 400
    assert client.get("/api/v1/bypass-requests/BYP-x/").status_code == 404
    assert client.get("/api/v1/bypass-requests/99999999999999999999/").status_code == 404
    assert (
        client.post(
            "/api/v1/bypass-requests/1/approve/", "[", content_type="application/json"
        ).status_code
        == 400
    )


@pytest.mark.parametrize("rows", [2, 8])
def test_list_query_count_is_constant(
    api, analyst, incident, owners, rows, django_assert_num_queries
):
    for _ in range(rows):
        file(analyst, incident)
    client = api(fresh(analyst))
    with django_assert_num_queries(6):  # roles (2), count, page, items + user lookups
        response = client.get("/api/v1/bypass-requests/?page_size=50")
    assert response.json()["count"] == rows
