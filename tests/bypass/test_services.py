"""Requests through the services: submit, approvals under SoD, scope edits, gates consuming
bypasses against the database clock, the sweep."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection

from bypass import counters, engine, ledger, services
from bypass.choices import State
from bypass.models import BypassDecision, BypassEvent, BypassRequest, BypassUse
from servicedesk import clock
from servicedesk.errors import (
    Conflict,
    DomainError,
    GuardFailed,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)

from ..org.factories import UserFactory
from .conftest import file, group

pytestmark = pytest.mark.django_db

GATE = "incident.triage.priority_matrix"


def types(req: BypassRequest) -> list[str]:
    return list(req.events.order_by("seq").values_list("type", flat=True))


def test_submit_resolves_risk_policy_plan_and_snapshots(analyst, incident, owners, managers):
    req = file(analyst, incident)
    req.refresh_from_db()
    assert req.state == State.IN_REVIEW
    assert req.ref == f"BYP-{req.pk:06d}"
    assert req.risk_class and req.risk_score is not None
    assert req.policy is not None and req.plan["eligible"]
    assert req.snapshot["requester"]["id"] == analyst.pk
    assert len(req.scope_hash) == 64
    assert types(req) == [
        "bypass.created",
        "bypass.submitted",
        "bypass.policy_resolved",
        "bypass.routed",
    ]
    assert req.last_event_seq == req.events.order_by("-seq").first().seq


CLOSURE = "incident.closure.customer_confirmation"


def refuse_closure() -> None:
    raise GuardFailed("The requester confirms the fix.", guard=CLOSURE)


def closure(incident: Any, actor: Any) -> engine.Outcome:
    return engine.pass_gate(
        gate_id=CLOSURE, subject=engine.Subject.of(incident), actor=actor, check=refuse_closure
    )


def test_approve_activates_and_gate_consumes_once(analyst, incident, owners, managers, counted):
    req = file(analyst, incident)
    req = services.bypass_approve(request=req, actor=owners[0], comment="Fine")
    assert req.state == State.ACTIVE
    decision = BypassDecision.objects.get(request=req)
    assert BypassEvent.objects.filter(seq=decision.ledger_seq, type="bypass.decision").exists()
    before = counters.counts(CLOSURE)
    with counted():
        outcome = closure(incident, analyst)
        assert outcome.bypassed and outcome.request.pk == req.pk
        assert outcome.verdict == "The requester confirms the fix."
        req.refresh_from_db()
        assert req.state == State.CONSUMED and req.uses_count == 1
        use = BypassUse.objects.get(request=req)
        assert use.verdict == "The requester confirms the fix."
        with pytest.raises(GuardFailed):
            closure(incident, analyst)  # single use: never twice
    after = counters.counts(CLOSURE)
    assert after["evaluations"] == before["evaluations"] + 2
    assert after["bypassed"] == before["bypassed"] + 1
    assert after["blocked"] == before["blocked"] + 2


def test_priority_override_applied_at_activation_with_both_values(analyst, incident, owners):
    from incidents import services as incident_services
    from incidents.models import SlaPolicy

    assert (incident.priority, incident.priority_source) == (3, "matrix")
    SlaPolicy.objects.create(name="P1 clock", position=1, priorities=[1])
    req = file(analyst, incident, items=[{"gate": GATE, "treatment": "override", "value": 1}])
    req = services.bypass_approve(request=req, actor=owners[0])
    assert req.state == State.CONSUMED  # applied at once, by the incident's value gate
    incident.refresh_from_db()
    assert (incident.matrix_priority, incident.priority) == (3, 1)
    assert incident.priority_source == req.ref
    use = BypassUse.objects.get(request=req)
    assert (use.computed, use.effective) == (3, 1)
    event = incident.events.get(type="incident.priority_overridden")
    assert event.payload["receipt"] == use.ledger_seq
    assert incident.sla.policy_name == "P1 clock"  # the SLA follows the effective priority
    # Triage that leaves impact and urgency alone keeps the override.
    incident_services.incident_triage(incident=incident, actor=analyst, is_major=True)
    incident.refresh_from_db()
    assert (incident.priority, incident.priority_source) == (1, req.ref)
    # A new impact re-computes from the matrix: the (used) bypass does not apply again.
    incident_services.incident_triage(incident=incident, actor=analyst, impact=4)
    incident.refresh_from_db()
    assert incident.priority_source == "matrix" and incident.priority == incident.matrix_priority


def test_blocking_gate_without_bypass_offers_one(analyst, incident, counted):
    def refuse() -> None:
        raise GuardFailed(
            "The requester must confirm.", guard="incident.closure.customer_confirmation"
        )

    before = counters.counts("incident.closure.customer_confirmation")
    with counted():
        with pytest.raises(GuardFailed) as caught:
            engine.pass_gate(
                gate_id="incident.closure.customer_confirmation",
                subject=engine.Subject.of(incident),
                actor=analyst,
                check=refuse,
            )
        offer = caught.value.details["bypass"]
        assert offer["can_request_bypass"] and "/bypass/new/?gate=" in offer["request_url"]
    after = counters.counts("incident.closure.customer_confirmation")
    assert after["evaluations"] == before["evaluations"] + 1
    assert after["blocked"] == before["blocked"] + 1
    passed = engine.pass_gate(
        gate_id="incident.closure.customer_confirmation",
        subject=engine.Subject.of(incident),
        actor=analyst,
        check=lambda: None,
    )
    assert passed.passed


def test_never_bypassable_gate_cannot_be_requested(analyst, incident, owners):
    with pytest.raises(ValidationFailed) as caught:
        file(analyst, incident, items=[{"gate": "incident.sla.clock_rules", "treatment": "skip"}])
    assert caught.value.code == "bypass.gate.not_bypassable"


@pytest.mark.parametrize(
    ("items", "extra"),
    [
        ([], {}),
        ([{"gate": "nope", "treatment": "skip"}], {}),
        ([{"gate": GATE, "treatment": "skip"}], {}),
        ([{"gate": GATE, "treatment": "override"}], {}),
        ([{"gate": GATE, "treatment": "override", "value": 1}], {"justification": "short"}),
        ([{"gate": GATE, "treatment": "override", "value": 1}], {"reason_category": "vip"}),
        ([{"gate": GATE, "treatment": "override", "value": 1}], {"max_uses": 0}),
        (
            [{"gate": "change.required.backout_plan", "treatment": "mitigate"}],
            {},
        ),
    ],
)
def test_bad_input_refused_without_rows(analyst, incident, owners, items, extra):
    before = BypassRequest.objects.count()
    with pytest.raises(ValidationFailed):
        file(analyst, incident, items=items, **extra)
    assert BypassRequest.objects.count() == before


def test_validity_capped_by_policy(analyst, incident, owners):
    with pytest.raises(ValidationFailed) as caught:
        file(analyst, incident, valid_until=clock.now() + timedelta(days=30))
    assert caught.value.code == "bypass.policy.validity_too_long"


def test_sod_self_beneficiary_assignee_subordinate(analyst, incident, owners, managers, boss):
    # The boss benefits; one owner reports to the boss; the analyst files and is also an owner.
    group("Process owners", analyst)
    owners[1].manager = boss
    owners[1].save()
    incident.assignee = owners[2]
    incident.save(update_fields=["assignee"])
    req = file(analyst, incident, beneficiary=boss)
    excluded = {e["user_id"]: e["reasons"] for e in req.plan["excluded"]}
    assert excluded[analyst.pk] == ["is the requester"]
    assert excluded[owners[1].pk] == ["reports to the beneficiary"]
    assert excluded[owners[2].pk] == ["is the assignee of the subject"]
    for person, why in ((analyst, "requester"), (owners[1], "reports to"), (boss, "beneficiary")):
        with pytest.raises(PermissionDenied) as caught:
            services.bypass_approve(request=req, actor=person)
        assert why in caught.value.message
    assert "bypass.sod_excluded" in types(req)
    req = services.bypass_approve(request=req, actor=owners[0])
    assert req.state == State.ACTIVE


def test_implementer_excluded_on_change(analyst, owners, managers, in_group):
    from changes.models import Change

    from ..changes.factories import make_change

    change = make_change(analyst, implementer=managers[0])
    req = file(
        analyst,
        change,
        subject_type="changes.change",
        items=[{"gate": "change.normal.lead_time", "treatment": "skip"}],
    )
    assert isinstance(change, Change)
    group("Change authority", managers[0], managers[1])
    excluded = {e["user_id"]: e["reasons"] for e in req.plan["excluded"]}
    assert excluded.get(managers[0].pk) == ["is the implementer"] or managers[0].pk not in {
        pk for ids in req.plan["eligible"].values() for pk in ids
    }


def test_high_risk_needs_independent_approver(analyst, managers, boss):
    from ..changes.factories import VERY_HIGH_RISK, make_change

    # Everyone who may approve sits under the beneficiary: refuse, never fall open.
    for person in managers:
        person.manager = boss
        person.save()
    group("Change authority", *managers)
    change = make_change(analyst, risk=VERY_HIGH_RISK)
    type(change).objects.filter(pk=change.pk).update(risk_class="very_high")
    with pytest.raises(Conflict) as caught:
        file(
            analyst,
            change,
            subject_type="changes.change",
            beneficiary=boss,
            items=[{"gate": "change.schedule.freeze", "treatment": "skip"}],
            valid_until=clock.now() + timedelta(hours=4),
        )
    assert caught.value.code == "bypass.sod.no_eligible_approvers"
    assert not BypassRequest.objects.exists()
    # A process owner outside the line becomes the fallback authority.
    outsider = UserFactory(username="outsider")
    group("Process owners", outsider)
    req = file(
        analyst,
        change,
        subject_type="changes.change",
        beneficiary=boss,
        items=[{"gate": "change.schedule.freeze", "treatment": "skip"}],
        valid_until=clock.now() + timedelta(hours=4),
    )
    assert req.risk_class == "critical" and req.plan["fallback"]
    assert req.plan["independent_ids"] == [outsider.pk]
    req = services.bypass_approve(request=req, actor=outsider)
    assert req.state == State.ACTIVE


def test_rejection_needs_reason_and_settles(analyst, incident, owners):
    req = file(analyst, incident)
    with pytest.raises(GuardFailed):
        services.bypass_reject(request=req, actor=owners[0], comment="  ")
    req = services.bypass_reject(request=req, actor=owners[0], comment="Use the major path.")
    assert req.state == State.REJECTED
    with pytest.raises(TransitionNotAllowed):
        services.bypass_approve(request=req, actor=owners[1])


def test_one_vote_per_person(analyst, incident, owners):
    req = file(
        analyst,
        incident,
        items=[{"gate": "incident.reopen.window", "treatment": "skip"}],
    )
    req.plan = {**req.plan, "rule": {"group": "Process owners", "required": 2}}
    req.save(update_fields=["plan"])
    services.bypass_approve(request=req, actor=owners[0])
    with pytest.raises(Conflict):
        services.bypass_approve(request=req, actor=owners[0])


def test_scope_edit_voids_approvals(analyst, incident, owners):
    req = file(analyst, incident)
    req.plan = {**req.plan, "rule": {"group": "Process owners", "required": 2}}
    req.save(update_fields=["plan"])
    services.bypass_approve(request=req, actor=owners[0])
    old = req.scope_hash
    req = services.bypass_edit(
        request=req,
        actor=analyst,
        items=[{"gate": "incident.reopen.window", "treatment": "skip"}],
    )
    assert req.scope_hash != old and req.state == State.IN_REVIEW
    assert "bypass.approvals_voided" in types(req)
    # owners[0]'s approval was for the old scope: they may vote again, and it counts anew.
    req = services.bypass_approve(request=req, actor=owners[0])
    assert req.state == State.ACTIVE  # the re-resolved plan (1 of the owners) is met


def test_request_info_and_answer_keep_approvals(analyst, incident, owners):
    req = file(analyst, incident)
    req = services.bypass_request_info(request=req, actor=owners[0], comment="Which floor?")
    assert req.state == State.AWAITING_REQUESTER
    with pytest.raises(PermissionDenied):
        services.bypass_respond(request=req, actor=owners[0], answer="x")
    req = services.bypass_respond(request=req, actor=analyst, answer="Floor 3, all desks.")
    assert req.state == State.IN_REVIEW


def test_withdraw_and_revoke(analyst, incident, owners, other_requester):
    req = file(analyst, incident)
    with pytest.raises(PermissionDenied):
        services.bypass_withdraw(request=req, actor=other_requester)
    req = services.bypass_withdraw(request=req, actor=analyst, reason="Fixed another way")
    assert req.state == State.WITHDRAWN
    req = services.bypass_close(request=req, actor=analyst)
    assert req.state == State.CLOSED
    req2 = file(analyst, incident)
    req2 = services.bypass_approve(request=req2, actor=owners[0])
    with pytest.raises(PermissionDenied):
        services.bypass_revoke(request=req2, actor=analyst, reason="no")
    with pytest.raises(ValidationFailed):
        services.bypass_revoke(request=req2, actor=owners[1], reason="")
    req2 = services.bypass_revoke(request=req2, actor=owners[1], reason="Matrix fixed")
    assert req2.state == State.REVOKED
    with pytest.raises(GuardFailed):
        closure(incident, analyst)


def test_expiry_enforced_at_use_without_the_sweeper(analyst, incident, owners):
    req = file(analyst, incident)
    req = services.bypass_approve(request=req, actor=owners[0])
    assert req.state == State.ACTIVE
    # The validity ends (by the database's clock) but no sweep has run: still "active".
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bypass_bypassrequest SET valid_from = valid_from - interval '2 days', "
            "valid_until = valid_from - interval '1 day' + interval '1 second' WHERE id = %s"
            if connection.vendor == "postgresql"
            else "UPDATE bypass_bypassrequest SET valid_from = datetime('now', '-2 days'), "
            "valid_until = datetime('now', '-1 day') WHERE id = %s",
            [req.pk],
        )
    with pytest.raises(GuardFailed):
        closure(incident, analyst)
    assert not BypassUse.objects.exists()


def test_sweep_activates_expires_lapses_reminds_escalates(analyst, incident, owners, managers):
    later = file(
        analyst,
        incident,
        valid_from=clock.now() + timedelta(hours=1),
        valid_until=clock.now() + timedelta(hours=10),
    )
    later = services.bypass_approve(request=later, actor=owners[0])
    assert later.state == State.APPROVED
    pending = file(
        analyst, incident, items=[{"gate": "incident.reopen.window", "treatment": "skip"}]
    )
    with time_machine.travel(clock.now() + timedelta(hours=5), tick=False):
        done = services.bypass_sweep()
        assert done["activated"] == 1
        assert services.bypass_sweep()["activated"] == 0  # idempotent
    later.refresh_from_db()
    assert later.state == State.ACTIVE
    pending.refresh_from_db()
    assert pending.reminded_at is not None
    with time_machine.travel(clock.now() + timedelta(hours=30), tick=False):
        done = services.bypass_sweep()
        assert done["expired"] == 1 and done["escalated"] == 1
    pending.refresh_from_db()
    assert pending.escalated_at is not None and pending.state == State.IN_REVIEW
    with time_machine.travel(clock.now() + timedelta(hours=100), tick=False):
        assert services.bypass_sweep()["lapsed"] == 1
    pending.refresh_from_db()
    assert pending.state == State.LAPSED  # never approved by timeout
    assert ledger.verify().ok


def test_transition_pairs_refused_from_wrong_states(analyst, incident, owners):
    req = file(analyst, incident, submit=False)
    assert req.state == State.DRAFT
    for fn, kwargs in (
        (services.bypass_approve, {"actor": owners[0]}),
        (services.bypass_respond, {"actor": analyst, "answer": "x"}),
    ):
        with pytest.raises(DomainError):
            fn(request=req, **kwargs)
    req = services.bypass_submit(request=req, actor=analyst)
    assert req.state == State.IN_REVIEW
    with pytest.raises(TransitionNotAllowed):
        services.bypass_submit(request=req, actor=analyst)


def test_rank_confers_nothing(admin_user, incident, owners):
    req = file(admin_user, incident)
    assert req.state == State.IN_REVIEW
    with pytest.raises(PermissionDenied):
        services.bypass_approve(request=req, actor=admin_user)


def _unused(*_: Any) -> None:  # keep helpers referenced
    return None


def test_policy_edit_is_a_new_version_in_the_ledger_and_frozen_plans_stay(
    analyst, incident, owners, managers
):
    from bypass.models import BypassPolicy
    from bypass.services.policies import bypass_policy_save

    req = file(analyst, incident)
    frozen = dict(req.plan)
    with pytest.raises(PermissionDenied):
        bypass_policy_save(actor=analyst, gate_id="*", risk_class=req.risk_class, rule={})
    with pytest.raises(ValidationFailed):
        bypass_policy_save(actor=owners[0], gate_id="*", risk_class=req.risk_class, rule={})
    from django.contrib.auth.models import Group

    owners[0].groups.add(Group.objects.get(name="Process owners"))
    policy = bypass_policy_save(
        actor=type(owners[0]).objects.get(pk=owners[0].pk),
        gate_id="*",
        risk_class=req.risk_class,
        rule={"group": "Managers", "required": 2},
    )
    assert policy.version == 2 and policy.is_active
    assert BypassPolicy.objects.filter(gate_id="*", risk_class=req.risk_class).count() == 2
    assert BypassEvent.objects.filter(type="bypass.policy_changed").exists()
    req.refresh_from_db()
    assert req.plan == frozen and req.policy.version == 1
    assert ledger.verify().ok


def test_counters_fold_into_the_table(settings, analyst, incident, require_redis_counts):
    from bypass.models import GateCounter

    gate = "incident.reopen.window"
    before = counters.counts(gate)["evaluations"]
    counters.bump(gate)
    counters.bump(gate, blocked=True)
    counters.fold()
    # Today's row (incident transitions count this gate too, on other days under time travel).
    row = GateCounter.objects.get(gate_id=gate, day=clock.now().date())
    assert row.evaluations >= 2 and row.blocked >= 1
    assert counters.counts(gate)["evaluations"] == before + 2  # nothing counted twice


def test_counters_work_without_redis(settings, django_capture_on_commit_callbacks):
    from bypass.models import GateCounter

    settings.REDIS_URL = ""
    gate = "incident.reopen.window"
    before = counters.counts(gate)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        counters.bump(gate, bypassed=True)
        counters.bump(gate, blocked=True)
    assert counters.counts(gate) == before  # written after the commit, not in the transaction
    for callback in callbacks:
        callback()
    row = GateCounter.objects.get(gate_id=gate, day=clock.now().date())
    assert (row.evaluations, row.blocked, row.bypassed) == (
        before["evaluations"] + 2,
        before["blocked"] + 1,
        before["bypassed"] + 1,
    )


def test_queue_order_override_moves_the_ticket_ahead_with_its_source(
    analyst, requester, incident, owners, counted
):
    """The queue position is a value gate: an approved OVERRIDE moves the ticket ahead of the
    queue's normal order at activation; the ticket keeps the source and the timeline the
    receipt; the gate's evaluation is counted."""
    from django.test import Client

    from incidents import selectors
    from incidents.views.timeline import build_timeline

    from ..incidents.factories import make_incident

    urgent = make_incident(requester, title="Urgent by the matrix", impact=1, urgency=1)
    assert urgent.priority < incident.priority
    first = list(selectors.incident_queue(user=analyst, queue="all").values_list("pk", flat=True))
    assert first.index(urgent.pk) < first.index(incident.pk)  # the normal order
    before = counters.counts("incident.queue.order")
    with counted():
        req = file(
            analyst,
            incident,
            items=[{"gate": "incident.queue.order", "treatment": "override", "value": 1}],
        )
        req = services.bypass_approve(request=req, actor=owners[0])
        assert req.state == State.CONSUMED
        incident.refresh_from_db()
        assert (incident.queue_rank, incident.queue_source) == (1, req.ref)
        assert incident.priority_source == "matrix"  # only the queue position was overridden
        use = BypassUse.objects.get(request=req)
        assert (use.computed, use.effective) == (0, 1)
        order = list(
            selectors.incident_queue(user=analyst, queue="all").values_list("pk", flat=True)
        )
        assert order.index(incident.pk) < order.index(urgent.pk)
    after = counters.counts("incident.queue.order")
    assert after["evaluations"] == before["evaluations"] + 1
    assert after["bypassed"] == before["bypassed"] + 1

    event = incident.events.get(type="incident.queue_jumped")
    assert event.is_internal and event.payload["receipt"] == use.ledger_seq
    client = Client()
    client.force_login(analyst)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'Ahead of the queue\'s normal order by bypass <strong class="mono">{req.ref}' in page
    texts = [e.text for e in build_timeline([event], [], [], agent=True)]
    assert texts == [
        f"moved it ahead of the queue's normal order by bypass {req.ref}, receipt #{use.ledger_seq}"
    ]
