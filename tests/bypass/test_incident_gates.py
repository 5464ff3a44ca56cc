"""Incident transitions go through the same gatekeeper as changes: a guard that blocks is a
gate, counted, and an approved bypass for that gate and incident lets it through once, with the
use on the bypass ledger and the incident's timeline."""

import json
from typing import Any

import pytest

from bypass import counters, gates, services
from bypass.choices import State
from bypass.models import BypassEvent, BypassUse
from changes.transitions import CHANGE
from incidents import services as incident_services
from incidents.transitions import INCIDENT
from servicedesk.errors import PermissionDenied
from servicedesk.transitions import gate_id_of

from ..incidents.factories import incident_in
from .conftest import file

pytestmark = pytest.mark.django_db

CLOSURE = "incident.closure.customer_confirmation"
REFUSAL = (
    "An incident is closed when its requester confirms the fix (or automatically after 5 days)."
)


@pytest.fixture
def resolved(requester: Any, analyst: Any, team: Any) -> Any:
    return incident_in("resolved", requester=requester, analyst=analyst, team=team)


def test_every_named_guard_is_a_registered_gate() -> None:
    for machine in (INCIDENT, CHANGE):
        for transition in machine.transitions.values():
            for guard in (*transition.checks, *transition.guards):
                gate_id = gate_id_of(guard)
                if gate_id is not None:
                    assert gates.get(gate_id) is not None, gate_id


def test_incident_guard_blocks_with_its_gate_and_the_offer(
    resolved, analyst, settings, require_redis_counts
):
    settings.INCIDENT_AUTO_CLOSE_DAYS = 5
    before = counters.counts(CLOSURE)
    with pytest.raises(PermissionDenied) as caught:
        incident_services.incident_close(incident=resolved, actor=analyst)
    assert caught.value.code == CLOSURE
    assert caught.value.message == REFUSAL
    offer = caught.value.details["bypass"]
    assert offer["gate"] == CLOSURE and offer["gate_title"] == "Customer confirmation"
    assert offer["can_request_bypass"] and offer["subject_ref"] == resolved.ref
    assert offer["request_url"].startswith(
        f"/bypass/new/?gate={CLOSURE}&subject_type=incidents.incident&subject_id={resolved.pk}"
    )
    after = counters.counts(CLOSURE)
    assert after["evaluations"] == before["evaluations"] + 1
    assert after["blocked"] == before["blocked"] + 1


def test_approved_bypass_lets_the_incident_through_once(
    resolved, analyst, requester, team, owners, settings
):
    settings.INCIDENT_AUTO_CLOSE_DAYS = 5
    req = file(analyst, resolved)
    req = services.bypass_approve(request=req, actor=owners[0], comment="Customer unreachable")
    assert req.state == State.ACTIVE

    closed = incident_services.incident_close(incident=resolved, actor=analyst)
    assert closed.status == "closed"
    req.refresh_from_db()
    assert req.state == State.CONSUMED and req.uses_count == 1
    use = BypassUse.objects.get(request=req)
    assert (use.gate_id, use.verdict) == (CLOSURE, REFUSAL)
    used = BypassEvent.objects.get(seq=use.ledger_seq)
    assert used.type == "bypass.used"
    body = json.loads(used.body)
    assert body["payload"]["gate"] == CLOSURE and body["payload"]["subject"] == resolved.ref
    assert body["payload"]["gate_said"] == REFUSAL
    event = closed.events.get(type="incident.closed")
    assert event.payload["bypasses"] == [
        {"gate": CLOSURE, "bypass": req.ref, "gate_said": REFUSAL, "receipt": use.ledger_seq}
    ]
    assert event.reason == f"{req.ref} bypassed {CLOSURE} (receipt #{use.ledger_seq}): {REFUSAL}"

    # Used once: the next incident is refused again.
    other = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    with pytest.raises(PermissionDenied):
        incident_services.incident_close(incident=other, actor=analyst)


def test_api_refusal_names_the_gate_and_offers_a_bypass(resolved, analyst, api, settings):
    settings.INCIDENT_AUTO_CLOSE_DAYS = 5
    response = api(analyst).post(f"/api/v1/incidents/{resolved.pk}/close/", {}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == CLOSURE
    assert body["message"] == REFUSAL
    assert body["details"]["bypass"]["gate"] == CLOSURE
    assert body["details"]["bypass"]["can_request_bypass"] is True


def test_ticket_page_names_the_gate_and_offers_a_bypass(resolved, analyst, client, settings):
    settings.INCIDENT_AUTO_CLOSE_DAYS = 5
    client.force_login(analyst)
    response = client.post(f"/incidents/{resolved.pk}/close/", {})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Blocked by a process step" in html
    assert f"Gate <code>{CLOSURE}</code> (Customer confirmation) refused this." in html
    assert (
        f"/bypass/new/?gate={CLOSURE}&amp;subject_type=incidents.incident"
        f"&amp;subject_id={resolved.pk}" in html
    )
    assert "Request a bypass</a>" in html
