"""DEFER and ADD_STEP leave obligations on the subject: a deferred step (by its deadline) or
an added one-time step blocks resolving/closing until it is marked done (gate
``bypass.obligations.open``, never bypassable); the gate's owners see it when overdue."""

import json
from datetime import timedelta
from typing import Any

import pytest

from bypass import services
from bypass.models import BypassEvent, BypassObligation
from incidents import services as incident_services
from servicedesk import clock
from servicedesk.errors import Conflict, GuardFailed, PermissionDenied

from ..incidents.factories import incident_in
from ..org.factories import UserFactory
from .conftest import file

pytestmark = pytest.mark.django_db

RESOLUTION = "incident.resolution.code_and_notes_required"


@pytest.fixture
def working(requester: Any, analyst: Any, team: Any) -> Any:
    return incident_in("in_progress", requester=requester, analyst=analyst, team=team)


def deferred(analyst: Any, incident: Any, owners: list[Any]) -> Any:
    req = file(
        analyst,
        incident,
        items=[
            {
                "gate": RESOLUTION,
                "treatment": "defer",
                "deadline": clock.now() + timedelta(days=1),
            }
        ],
    )
    return services.bypass_approve(request=req, actor=owners[0])


def test_deferred_step_blocks_closing_until_done(working, analyst, requester, owners):
    req = deferred(analyst, working, owners)
    resolved = incident_services.incident_resolve(
        incident=working, actor=analyst, code="fixed", notes=""
    )
    assert resolved.status == "resolved"
    obligation = BypassObligation.objects.get(request=req)
    assert (obligation.kind, obligation.gate_id, obligation.subject_ref) == (
        "defer",
        RESOLUTION,
        working.ref,
    )
    assert obligation.text == "Deferred step: Resolution code and notes"
    created = BypassEvent.objects.get(request=req, type="bypass.obligation_created")
    assert json.loads(created.body)["payload"]["text"] == obligation.text

    with pytest.raises(GuardFailed) as caught:
        incident_services.incident_close(incident=working, actor=requester)
    assert caught.value.code == "guard_failed.bypass.obligations.open"
    assert caught.value.message == (
        f"{working.ref} has 1 open bypass obligation to do first: "
        f"Deferred step: Resolution code and notes ({req.ref})."
    )
    assert caught.value.details["bypass"]["can_request_bypass"] is False

    stranger = UserFactory(username="stranger")
    with pytest.raises(PermissionDenied) as denied:
        services.bypass_obligation_done(obligation=obligation, actor=stranger)
    assert denied.value.message == (
        "Only the bypass's requester or beneficiary, the gate's owners or an admin may "
        "mark its obligation done."
    )
    done = services.bypass_obligation_done(
        obligation=obligation, actor=analyst, note="Notes written up."
    )
    assert done.done_at is not None and done.done_by == analyst
    event = BypassEvent.objects.get(request=req, type="bypass.obligation_done")
    assert json.loads(event.body)["payload"]["note"] == "Notes written up."
    with pytest.raises(Conflict) as again:
        services.bypass_obligation_done(obligation=obligation, actor=analyst)
    assert again.value.message == (
        f"“Deferred step: Resolution code and notes” on {working.ref} is already done."
    )
    closed = incident_services.incident_close(incident=working, actor=requester)
    assert closed.status == "closed"


def test_overdue_obligations_for_the_gate_owner_api_and_page(working, analyst, owners, api, client):
    req = deferred(analyst, working, owners)
    incident_services.incident_resolve(incident=working, actor=analyst, code="fixed", notes="")
    obligation = BypassObligation.objects.get(request=req)
    BypassObligation.objects.filter(pk=obligation.pk).update(
        due_at=clock.now() - timedelta(hours=1)
    )

    response = api(owners[1]).get("/api/v1/bypass-obligations/?overdue=true")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["id"], r["request_ref"], r["text"]) for r in rows] == [
        (obligation.pk, req.ref, "Deferred step: Resolution code and notes")
    ]

    client.force_login(owners[1])
    html = client.get("/bypass/inbox/").content.decode()
    assert "Overdue obligations at gates you own" in html
    assert "<strong>Deferred step: Resolution code and notes</strong> on" in html

    response = api(owners[1]).post(
        f"/api/v1/bypass-obligations/{obligation.pk}/done/", {"note": "Done late"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["done_by"] == owners[1].name
    assert response.json()["done_note"] == "Done late"
    html = client.get("/bypass/inbox/").content.decode()
    assert "Overdue obligations at gates you own" not in html


def test_request_page_marks_an_obligation_done(working, analyst, owners, client):
    req = deferred(analyst, working, owners)
    incident_services.incident_resolve(incident=working, actor=analyst, code="fixed", notes="")
    obligation = BypassObligation.objects.get(request=req)
    client.force_login(analyst)
    html = client.get(f"/bypass/{req.pk}/").content.decode()
    assert f'action="/bypass/obligations/{obligation.pk}/done/"' in html
    response = client.post(f"/bypass/obligations/{obligation.pk}/done/", {"note": ""})
    assert response.status_code == 302 and response["Location"] == f"/bypass/{req.pk}/"
    obligation.refresh_from_db()
    assert obligation.done_by == analyst


def test_autoclose_skips_an_incident_with_an_open_obligation(
    working, analyst, requester, team, owners, settings
):
    req = deferred(analyst, working, owners)
    incident_services.incident_resolve(incident=working, actor=analyst, code="fixed", notes="")
    other = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    later = clock.now() + timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS + 1)
    assert incident_services.incident_autoclose_due(now=later) == 1
    working.refresh_from_db()
    other.refresh_from_db()
    assert (working.status, other.status) == ("resolved", "closed")
    assert BypassObligation.objects.get(request=req).done_at is None
