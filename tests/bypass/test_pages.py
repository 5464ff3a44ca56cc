"""Bypass pages: file (pre-filled from a blocked gate), my requests, the approval inbox with
everything an approver needs, the detail with timeline and receipts, actions, permissions."""

from typing import Any

import pytest

from bypass.choices import State
from bypass.models import BypassRequest

from .conftest import file, group

pytestmark = pytest.mark.django_db
CLOSURE = "incident.closure.customer_confirmation"


def login(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def test_new_is_prefilled_and_files(client, analyst, incident, owners):
    c = login(client, analyst)
    url = (
        f"/bypass/new/?gate={CLOSURE}&subject_type=incidents.incident&subject_id={incident.pk}"
        "&refusal=The+requester+confirms"
    )
    html = c.get(url).content.decode()
    assert incident.ref in html and "The requester confirms" in html
    assert f'value="{CLOSURE}" selected' in html
    data = {
        "subject_type": "incidents.incident",
        "subject_id": incident.pk,
        "gate": CLOSURE,
        "treatment": "skip",
        "reason_category": "novel_situation",
        "justification": "The requester left the company; nobody can confirm.",
        "what_does_not_fit": "Confirmation assumes the requester is reachable.",
        "max_uses": 1,
    }
    response = c.post("/bypass/new/", {**data, "justification": "short"})
    assert response.status_code == 400
    assert not BypassRequest.objects.exists()
    response = c.post("/bypass/new/", {**data, "treatment": "override"})
    assert response.status_code == 400 and "allows" in response.content.decode()
    response = c.post("/bypass/new/", data)
    assert response.status_code == 302
    req = BypassRequest.objects.get()
    assert req.state == State.IN_REVIEW
    assert req.ref in c.get("/bypass/").content.decode()


def test_inbox_shows_what_an_approver_needs_and_decides(client, analyst, incident, owners, boss):
    group("Process owners", boss)
    owners[1].manager = analyst
    owners[1].save()
    req = file(analyst, incident, refusal="The requester confirms the fix.")
    c = login(client, owners[0])
    html = c.get("/bypass/inbox/").content.decode()
    for text in (
        req.ref,
        incident.ref,
        "Customer confirmation",
        "Skip the step this time",
        "Service restoration",
        "The whole trading floor",
        "The requester confirms the fix.",
        "bypass of this gate",
        "reports to the requester",
        "risk",
    ):
        assert text in html, text
    # The requester's subordinate does not see it in their inbox.
    assert req.ref not in login(client, owners[1]).get("/bypass/inbox/").content.decode()
    c = login(client, owners[0])
    response = c.post(
        f"/bypass/{req.pk}/reject/",
        {"next": "inbox", "prefix": f"r{req.pk}", f"r{req.pk}-comment": ""},
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.state == State.IN_REVIEW  # a rejection needs a reason
    c.post(f"/bypass/{req.pk}/approve/", {"next": "inbox", "prefix": f"r{req.pk}"})
    req.refresh_from_db()
    assert req.state == State.ACTIVE
    html = login(client, analyst).get(f"/bypass/{req.pk}/").content.decode()
    decision = req.decisions.get()
    assert f"ledger #{decision.ledger_seq}" in html and "Timeline" in html


def test_detail_actions_and_permissions(client, analyst, incident, owners, requester):
    req = file(analyst, incident)
    assert client.get(f"/bypass/{req.pk}/").status_code == 302  # to login
    assert login(client, requester).get(f"/bypass/{req.pk}/").status_code == 404
    c = login(client, owners[0])
    c.post(f"/bypass/{req.pk}/request-info/", {"d-comment": "Which floor?"})
    req.refresh_from_db()
    assert req.state == State.AWAITING_REQUESTER
    c = login(client, analyst)
    assert "Your answer" in c.get(f"/bypass/{req.pk}/").content.decode()
    c.post(f"/bypass/{req.pk}/respond/", {"a-answer": "Floor 3"})
    req.refresh_from_db()
    assert req.state == State.IN_REVIEW
    assert c.post(f"/bypass/{req.pk}/approve/", {}).status_code == 403
    assert c.post(f"/bypass/{req.pk}/nonsense/", {}).status_code == 404
    c.post(f"/bypass/{req.pk}/withdraw/", {"w-reason": "fixed"})
    req.refresh_from_db()
    assert req.state == State.WITHDRAWN


def test_incident_shows_both_priorities(client, analyst, incident, owners):
    from bypass import services

    c = login(client, analyst)
    assert "Request a priority override" in c.get(f"/incidents/{incident.pk}/").content.decode()
    req = file(
        analyst,
        incident,
        items=[{"gate": "incident.triage.priority_matrix", "treatment": "override", "value": 1}],
    )
    services.bypass_approve(request=req, actor=owners[0])
    html = c.get(f"/incidents/{incident.pk}/").content.decode()
    assert req.ref in html and "the matrix says P3" in html
    assert f"priority P3 → P1 by bypass {req.ref}, receipt #" in html


@pytest.mark.parametrize("rows", [2, 6])
def test_list_and_inbox_query_counts(
    client, analyst, incident, owners, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        file(analyst, incident)
    c = login(client, analyst)
    with django_assert_max_num_queries(16):
        assert c.get("/bypass/").status_code == 200
    c = login(client, owners[0])
    with django_assert_max_num_queries(16):
        assert c.get("/bypass/inbox/").status_code == 200


def test_admin_is_read_only(client, admin_user, analyst, incident, owners):
    req = file(analyst, incident)
    c = login(client, admin_user)
    assert c.get("/admin/bypass/bypassrequest/").status_code == 200
    assert c.get("/admin/bypass/bypassevent/").status_code == 200
    assert c.post(f"/admin/bypass/bypassrequest/{req.pk}/delete/").status_code == 403
    assert c.post("/admin/bypass/bypassevent/1/delete/").status_code == 403
    assert c.get("/admin/bypass/bypasspolicy/add/").status_code == 403
