"""Break-glass on the change-freeze gate: eligibility (gate, group, linked open P1/P2, step-up),
the grant's expiry and uses, ratification (deadline, escalation, stays in the inbox),
repudiation (suspends the right; restoring is logged), and every fact on the verified ledger."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from bypass import ledger, selectors, services
from bypass.choices import State
from bypass.models import BreakGlassSuspension, BypassEvent
from changes import services as change_services
from changes.choices import ChangeStatus
from incidents.models import Incident
from servicedesk import clock
from servicedesk.errors import Conflict, GuardFailed, PermissionDenied, ValidationFailed

from .conftest import FREEZE, declare

pytestmark = pytest.mark.django_db


def types(request: Any) -> list[str]:
    return list(
        BypassEvent.objects.filter(request=request).order_by("seq").values_list("type", flat=True)
    )


def test_declared_it_takes_effect_at_once_and_the_schedule_passes(world):
    with pytest.raises(GuardFailed) as caught:
        change_services.change_schedule(change=world["change"], actor=world["oncall"])
    assert caught.value.guard == FREEZE
    offer = caught.value.details["bypass"]
    assert offer["can_break_glass"] and offer["break_glass_url"].startswith("/bypass/break-glass/?")
    req = declare(world)
    assert req.state == State.BREAK_GLASS and req.kind == "break_glass"
    assert req.max_uses == 2 and req.valid_until - req.valid_from == timedelta(minutes=240)
    assert req.incident_ref == world["incident"].ref
    assert [i.gate_id for i in req.items.all()] == [FREEZE]  # only the gate that blocked
    change = change_services.change_schedule(change=world["change"], actor=world["oncall"])
    assert change.status == ChangeStatus.SCHEDULED
    req.refresh_from_db()
    assert req.uses_count == 1 and req.state == State.BREAK_GLASS
    got = types(req)
    assert got[0] == "bypass.created" and got[-2:] == ["bypass.break_glass_started", "bypass.used"]
    assert ledger.verify().ok


def test_not_eligible_gate_or_group(world):
    before = BypassEvent.objects.count()
    with pytest.raises(PermissionDenied) as caught:
        declare(world, gate_id="change.normal.lead_time")
    assert (
        caught.value.message == "Break-glass is not available on the gate change.normal.lead_time."
    )
    with pytest.raises(PermissionDenied) as caught:
        declare(world, actor=world["requester"])
    assert caught.value.message == (
        "Break-glass on “Freeze windows” is for the On-call engineers group; you are not in it. "
        "Request a bypass instead."
    )
    assert BypassEvent.objects.count() == before


def test_step_up_wrong_password_declares_nothing(world):
    before = BypassEvent.objects.count()
    with pytest.raises(PermissionDenied) as caught:
        declare(world, password="wrong")
    assert caught.value.code == "bypass.break_glass.step_up"
    assert caught.value.message == (
        "Your password did not match. Break-glass needs you to confirm who you are; nothing was "
        "declared."
    )
    assert BypassEvent.objects.count() == before


def test_needs_an_open_p1_p2_or_major_incident(world):
    Incident.objects.filter(pk=world["incident"].pk).update(priority=3)
    with pytest.raises(GuardFailed) as caught:
        declare(world)
    assert caught.value.message == (
        f"{world['incident'].ref} is not an open P1/P2 or major incident; break-glass is only for "
        "those. Request a bypass instead."
    )
    Incident.objects.filter(pk=world["incident"].pk).update(is_major=True)
    assert declare(world).state == State.BREAK_GLASS
    with pytest.raises(ValidationFailed):
        declare(world, incident_id=None)


def test_grant_expires_and_awaits_ratification(world):
    req = declare(world)
    with time_machine.travel(req.valid_until + timedelta(minutes=1), tick=False):
        done = services.bypass_sweep()
        assert done["glass_stopped"] == 1
        with pytest.raises(GuardFailed):  # the grant no longer covers the gate
            change_services.change_schedule(change=world["change"], actor=world["oncall"])
    req.refresh_from_db()
    assert req.state == State.AWAITING_RATIFICATION and req.uses_count == 0
    assert "bypass.break_glass_stopped" in types(req)


def test_last_use_stops_the_grant(world):
    req = declare(world)
    from bypass.engine import Subject, consume

    subject = Subject("changes.change", world["change"].pk, world["change"].ref)
    for _ in range(2):
        consume(gate_id=FREEZE, subject=subject, actor=world["oncall"], verdict="frozen")
    req.refresh_from_db()
    assert req.state == State.AWAITING_RATIFICATION and req.uses_count == 2
    assert consume(gate_id=FREEZE, subject=subject, actor=world["oncall"], verdict="x") is None


def test_ratified_by_the_planned_plan_then_reviewed(world):
    req = declare(world)
    # planned: low risk (the change authority alone); ratified one class stricter (medium:
    # the change authority or a manager)
    assert req.risk_class == "medium" and req.risk_inputs["break_glass"]
    assert req.plan["rule"] == {
        "any": [
            {"group": "Change authority", "required": 1},
            {"group": "Managers", "required": 1},
        ]
    }
    assert req in selectors.bypass_inbox(user=world["managers"][0])
    with pytest.raises(PermissionDenied):
        services.bypass_ratify(request=req, actor=world["oncall"])
    with time_machine.travel(req.valid_until + timedelta(minutes=1), tick=False):
        services.bypass_sweep()
    req = services.bypass_ratify(request=req, actor=world["managers"][0], comment="Right call.")
    assert req.state == State.UNDER_REVIEW and req.ratification == "ratified"
    with pytest.raises(Conflict):
        services.bypass_ratify(request=req, actor=world["cab"][1])
    assert "bypass.ratified" in types(req) and ledger.verify().ok


def test_overdue_ratification_escalates_once_and_stays_in_the_inbox(world):
    req = declare(world)
    due = req.ratification_due_at
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        first = services.bypass_sweep()
        again = services.bypass_sweep()
    assert first["ratification_overdue"] == 1 and again["ratification_overdue"] == 0
    req.refresh_from_db()
    assert req.escalated_at is not None and req.state == State.AWAITING_RATIFICATION
    assert "Process owners" in req.plan["eligible"]  # the next authority
    assert req in selectors.bypass_inbox(user=world["owner"])
    assert req in selectors.bypass_inbox(user=world["managers"][1])
    got = types(req)
    assert got.index("bypass.ratification_overdue") < got.index("bypass.escalated")
    assert ledger.verify().ok


def test_repudiation_suspends_the_right_until_restored(world):
    req = declare(world)
    with pytest.raises(GuardFailed):
        services.bypass_repudiate(request=req, actor=world["managers"][0], comment="")
    for person in (world["managers"][0], world["cab"][0]):  # any-of plan: both leaves deny
        req = services.bypass_repudiate(
            request=req, actor=person, comment="The freeze had an on-call path."
        )
    assert req.state == State.UNDER_REVIEW and req.ratification == "repudiated"
    suspension = BreakGlassSuspension.objects.get(user=world["oncall"], gate_id=FREEZE)
    with pytest.raises(PermissionDenied) as caught:
        declare(world)
    assert caught.value.message == (
        "Your break-glass right on “Freeze windows” is suspended since "
        f"{req.ref} was repudiated, until a process owner restores it."
    )
    with pytest.raises(PermissionDenied):
        services.bypass_break_glass_restore(
            suspension=suspension, actor=world["managers"][0], note="ok"
        )
    services.bypass_break_glass_restore(
        suspension=suspension, actor=world["owner"], note="Talked it through; on-call path fixed."
    )
    assert declare(world).state == State.BREAK_GLASS
    got = types(req)
    assert "bypass.repudiated" in got and "bypass.break_glass_suspended" in got
    assert got[-1] == "bypass.break_glass_restored"
    # the learning review closes it
    review = services.bypass_review(
        request=req, actor=world["oncall"], outcome="worked", misfit="No on-call path in freezes."
    )
    assert review.learning
    assert ledger.verify().ok


def test_needing_longer_means_a_planned_request_that_follows(world):
    req = declare(world)
    follow = services.bypass_create(
        actor=world["oncall"],
        subject_type="changes.change",
        subject_id=world["change"].pk,
        follows=req.pk,
        items=[{"gate": FREEZE, "treatment": "skip"}],
        reason_category="service_restoration",
        justification="The fix needs a second deployment tomorrow within the freeze.",
        what_does_not_fit="The freeze has no on-call path.",
        valid_until=clock.now() + timedelta(hours=8),
    )
    assert follow.follows_id == req.pk and follow.state == State.IN_REVIEW
    body = BypassEvent.objects.filter(request=follow, type="bypass.created").get().body
    assert f'"follows":"{req.ref}"' in body
    with pytest.raises(ValidationFailed):
        services.bypass_create(
            actor=world["oncall"],
            subject_type="changes.change",
            subject_id=world["change"].pk,
            follows=follow.pk,
            items=[{"gate": FREEZE, "treatment": "skip"}],
            reason_category="service_restoration",
            justification="The fix needs a second deployment tomorrow within the freeze.",
            what_does_not_fit="x",
        )


def test_declaring_alerts_approvers_and_process_owners_at_once(world):
    from bypass import notifications

    req = declare(world)
    event = BypassEvent.objects.get(request=req, type="bypass.break_glass_started")
    messages = notifications.messages_for(event, {})
    got = {m.recipient.username for m in messages}
    # the ratifiers (change authority, managers) and the process owners; never the declarer
    assert got == {"alice", "bob", "carol", "mgr0", "mgr1", "owner"}
    assert {m.kind for m in messages} == {"break_glass"}
    assert messages[0].title == (
        f"Break-glass: Omar Oncall bypassed “Freeze windows” on {world['change'].ref}"
    )
    assert f"Declared during {world['incident'].ref}" in messages[0].body
    key = notifications.notify_key(event.seq)
    from servicedesk.models import OutboxMessage

    assert OutboxMessage.objects.filter(key=key).exists()
