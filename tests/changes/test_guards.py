"""Every named guard refuses with its stable id, its code and a message a person can act on,
and a refusal leaves no trace (no status change, no event)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from changes import services
from changes.guards import GUARDS
from changes.models import Change, ChangeDecision, ChangeEvent
from servicedesk.errors import DomainError, GuardFailed, PermissionDenied

from ..org.factories import UserFactory
from .factories import HIGH_RISK, People, authority, change_in, make_change, make_template

ISSUE_IDS = {
    "change.normal.cab_authorization",
    "change.normal.peer_review",
    "change.normal.lead_time",
    "change.schedule.freeze",
    "change.schedule.conflict_check",
    "change.required.backout_plan",
    "change.required.test_evidence",
    "change.required.risk_assessment",
    "change.implement.window",
    "change.review.pir",
    "change.model.selection",
}


def test_every_step_the_issue_names_is_a_registered_guard() -> None:
    assert set(GUARDS) >= ISSUE_IDS
    for spec in GUARDS.values():
        assert spec.step and spec.description


def refused(call: Callable[[], Any], change: Change, guard: str) -> DomainError:
    events = ChangeEvent.objects.filter(change=change).count()
    status = Change.objects.get(pk=change.pk).status
    with pytest.raises(DomainError) as exc:
        call()
    error = exc.value
    if isinstance(error, GuardFailed):
        assert error.code == f"guard_failed.{guard}"
        assert error.details["guard"] == guard
        assert error.details["step"] == GUARDS[guard].step
    else:
        assert error.code == guard
    assert Change.objects.get(pk=change.pk).status == status
    assert ChangeEvent.objects.filter(change=change).count() == events
    return error


@pytest.fixture
def people(requester: Any, implementer: Any, approvers: list, process_owner: Any) -> People:
    return People(requester, implementer, approvers, process_owner)


def test_backout_plan_required(requester: Any, approvers: list) -> None:
    change = make_change(requester, backout_plan="")
    error = refused(
        lambda: services.change_submit(change=change, actor=requester),
        change,
        "change.required.backout_plan",
    )
    assert error.message == "Describe the backout plan: how the change is undone if it goes wrong."


def test_test_evidence_required(requester: Any, approvers: list) -> None:
    change = make_change(requester, test_plan="  ")
    error = refused(
        lambda: services.change_submit(change=change, actor=requester),
        change,
        "change.required.test_evidence",
    )
    assert error.message == (
        "Give the test plan and evidence: how the change was tested and how success is checked."
    )


def test_risk_assessment_required(requester: Any, approvers: list) -> None:
    change = make_change(requester, risk={}, service_tier=None)
    error = refused(
        lambda: services.change_submit(change=change, actor=requester),
        change,
        "change.required.risk_assessment",
    )
    assert error.message == (
        "Answer the risk questionnaire: impact if it fails, complexity, whether it was tested, "
        "whether the backout was tested, service tier."
    )


def test_lead_time(requester: Any, approvers: list) -> None:
    start = timezone.now() + timedelta(hours=30)
    change = make_change(
        requester, risk=HIGH_RISK, planned_start=start, planned_end=start + timedelta(hours=1)
    )
    error = refused(
        lambda: services.change_submit(change=change, actor=requester),
        change,
        "change.normal.lead_time",
    )
    assert error.message.startswith(
        f"A high-risk normal change needs 3 days of lead time; {change.ref} starts "
    )
    assert error.message.endswith(", or raise an emergency change.")


def test_emergency_changes_skip_lead_time_and_defer_documentation(
    requester: Any, approvers: list
) -> None:
    start = timezone.now() + timedelta(hours=1)
    change = make_change(
        requester,
        type="emergency",
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        backout_plan="",
        test_plan="",
    )
    change = services.change_submit(change=change, actor=requester)
    assert change.status == "assessed"
    assert change.current_authority == authority("ecab")


def test_model_selection_standard_needs_active_template(
    requester: Any, analyst: Any, process_owner: Any
) -> None:
    template = make_template(analyst, process_owner)
    services.template_suspend(template=template, actor=process_owner)
    with pytest.raises(GuardFailed) as exc:
        make_change(requester, template=template)
    assert exc.value.code == "guard_failed.change.model.selection"
    assert exc.value.message == (
        "The template “Restart an application server” is suspended; only active templates give "
        "pre-authorised standard changes."
    )


def test_model_selection_standard_duration(
    requester: Any, analyst: Any, process_owner: Any
) -> None:
    template = make_template(analyst, process_owner)
    start = timezone.now() + timedelta(days=1)
    change = make_change(
        requester, template=template, planned_start=start, planned_end=start + timedelta(hours=3)
    )
    error = refused(
        lambda: services.change_submit(change=change, actor=requester),
        change,
        "change.model.selection",
    )
    assert error.message == (
        "The template “Restart an application server” allows at most 1 hour; this change is "
        "planned for 3 hours. Shorten it or file a normal change."
    )


def test_routing_refuses_when_the_authority_cannot_reach_quorum(requester: Any) -> None:
    change = make_change(requester)  # low risk: Peer review, which has no members here
    error = refused(
        lambda: services.change_submit(change=change, actor=requester),
        change,
        "change.authority.routing",
    )
    assert error.message == (
        "Peer review cannot authorise this change: it has 0 eligible member(s) (not the "
        "requester or implementer) and needs 1."
    )


def test_separation_of_duties_no_self_approval(people: People, approvers: list) -> None:
    change = change_in("assessed", people, implementer=approvers[1])
    requested_by_alice = make_change(approvers[0], title="Alice's own change")
    requested_by_alice = services.change_submit(change=requested_by_alice, actor=approvers[0])
    error = refused(
        lambda: services.change_approve(change=requested_by_alice, actor=approvers[0]),
        requested_by_alice,
        "change.approval.separation_of_duties",
    )
    assert (
        error.message == f"You requested {requested_by_alice.ref}; someone else must authorise it."
    )
    error = refused(
        lambda: services.change_approve(change=change, actor=approvers[1]),
        change,
        "change.approval.separation_of_duties",
    )
    assert error.message == f"You are implementing {change.ref}; someone else must authorise it."
    assert not ChangeDecision.objects.exists()


def test_only_members_of_the_awaited_authority_decide(people: People, analyst: Any) -> None:
    change = change_in("assessed", people)
    error = refused(
        lambda: services.change_approve(change=change, actor=analyst),
        change,
        "change.approval.member",
    )
    assert isinstance(error, PermissionDenied)
    assert error.message == f"Only members of Peer review may approve or reject {change.ref} now."


def test_rejection_needs_a_comment(people: People, approvers: list) -> None:
    change = change_in("assessed", people)
    error = refused(
        lambda: services.change_reject(change=change, actor=approvers[0], comment=" "),
        change,
        "change.approval.comment_required",
    )
    assert error.message == (
        "A rejection needs a comment saying why, so the requester can fix the change."
    )


def test_peer_review_and_cab_guards_on_authorise(people: People) -> None:
    """The authorise step re-checks its two guards itself (a bypass may name either)."""
    from changes.guards import Ctx, authorities_approved, peer_reviewed

    change = change_in("assessed", people)
    ctx = Ctx(obj=change, actor=people.approvers[0], now=timezone.now())
    ctx.data = {"approver_ids": {people.requester.pk, people.implementer.pk}}
    with pytest.raises(GuardFailed) as exc:
        peer_reviewed(ctx)
    assert exc.value.code == "guard_failed.change.normal.peer_review"
    assert exc.value.message == (
        f"{change.ref} has no approval from anyone but its requester or implementer."
    )
    ctx.data = {"pending_authorities": ["Service owner", "CAB"]}
    with pytest.raises(GuardFailed) as exc:
        authorities_approved(ctx)
    assert exc.value.code == "guard_failed.change.normal.cab_authorization"
    assert exc.value.message == f"{change.ref} still awaits the decision of Service owner, CAB."


def test_freeze_window_refuses_scheduling(people: People, payroll: Any) -> None:
    change = change_in("authorised", people, services=[payroll])
    services.freeze_create(
        actor=people.owner,
        name="Payroll run",
        starts_at=change.planned_start - timedelta(hours=1),
        ends_at=change.planned_end + timedelta(hours=1),
        reason="Monthly payroll is being paid.",
        services=[payroll],
    )
    error = refused(
        lambda: services.change_schedule(change=change, actor=people.requester),
        change,
        "change.schedule.freeze",
    )
    assert "it falls in the freeze window “Payroll run” (" in error.message
    assert error.message.endswith("Payroll): Monthly payroll is being paid.")
    assert error.message.startswith(f"{change.ref} cannot be scheduled from ")


def test_freeze_on_other_services_does_not_apply(
    people: People, payroll: Any, email_service: Any
) -> None:
    change = change_in("authorised", people, services=[payroll])
    services.freeze_create(
        actor=people.owner,
        name="Mail migration",
        starts_at=change.planned_start,
        ends_at=change.planned_end,
        reason="Mail cut-over.",
        services=[email_service],
    )
    assert services.change_schedule(change=change, actor=people.requester).status == "scheduled"


def test_conflict_check(people: People, payroll: Any) -> None:
    first = change_in("scheduled", people, services=[payroll], title="First")
    second = change_in(
        "authorised",
        people,
        services=[payroll],
        title="Second",
        planned_start=first.planned_start + timedelta(hours=1),
        planned_end=first.planned_end + timedelta(hours=1),
    )
    error = refused(
        lambda: services.change_schedule(change=second, actor=people.requester),
        second,
        "change.schedule.conflict_check",
    )
    assert error.message.startswith(f"{second.ref} overlaps {first.ref} “First” (")
    assert error.message.endswith(") on the same service. Move one of them.")
    assert error.details["conflict_ids"] == [first.pk]


def test_back_to_back_changes_do_not_conflict(people: People, payroll: Any) -> None:
    first = change_in("scheduled", people, services=[payroll], title="First")
    second = change_in(
        "authorised",
        people,
        services=[payroll],
        title="Second",
        planned_start=first.planned_end,
        planned_end=first.planned_end + timedelta(hours=1),
    )
    assert services.change_schedule(change=second, actor=people.requester).status == "scheduled"


def test_implementation_window(people: People) -> None:
    change = change_in("scheduled", people)
    error = refused(
        lambda: services.change_start(change=change, actor=people.implementer),
        change,
        "change.implement.window",
    )
    assert error.message.startswith(f"{change.ref} is scheduled to start ")
    with time_machine.travel(change.planned_end + timedelta(minutes=1), tick=False):
        error = refused(
            lambda: services.change_start(change=change, actor=people.implementer),
            change,
            "change.implement.window",
        )
    assert error.message.endswith("; reschedule it.")
    with time_machine.travel(change.planned_start - timedelta(minutes=10), tick=False):
        assert services.change_start(change=change, actor=people.implementer).status == (
            "implementing"
        )


def test_pir_required_after_failure(people: People) -> None:
    change = change_in("implementing", people)
    services.change_complete(change=change, actor=people.implementer, outcome="backed_out")
    error = refused(
        lambda: services.change_review(change=change, actor=people.owner),
        change,
        "change.review.pir",
    )
    assert error.message == (
        f"{change.ref} needs a post-implementation review: record what happened and the "
        "lessons learned."
    )
    reviewed = services.change_review(
        change=change, actor=people.owner, summary="Replica lag.", lessons="Check lag first."
    )
    assert reviewed.status == "reviewed" and reviewed.pir_lessons == "Check lag first."


def test_pir_required_when_it_caused_an_incident(people: People, analyst: Any) -> None:
    from ..incidents.factories import make_incident

    change = change_in("implemented", people)
    incident = make_incident(people.requester)
    services.change_link_incidents(change=change, actor=analyst, incident_ids=[incident.pk])
    refused(
        lambda: services.change_review(change=change, actor=people.owner),
        change,
        "change.review.pir",
    )


def test_outcome_required(people: People) -> None:
    change = change_in("implementing", people)
    error = refused(
        lambda: services.change_complete(change=change, actor=people.implementer, outcome="ok"),
        change,
        "change.implement.outcome",
    )
    assert error.message == (
        "Record the outcome: successful (Successful), failed (Failed), backed_out (Backed out)."
    )


def test_permissions(people: People, other_requester: Any) -> None:
    change = change_in("draft", people)
    error = refused(
        lambda: services.change_submit(change=change, actor=other_requester),
        change,
        "change.permission.edit",
    )
    assert error.message == "Only the requester, the owner team or a process owner may do this."
    scheduled = change_in("scheduled", people, title="Scheduled")
    with time_machine.travel(scheduled.planned_start, tick=False):
        refused(
            lambda: services.change_start(change=scheduled, actor=other_requester),
            scheduled,
            "change.permission.implement",
        )
    implemented = change_in("implemented", people, title="Implemented")
    refused(
        lambda: services.change_review(change=implemented, actor=people.implementer),
        implemented,
        "change.permission.manage",
    )


def test_cancel_needs_a_reason(people: People) -> None:
    change = change_in("draft", people)
    error = refused(
        lambda: services.change_cancel(change=change, actor=people.requester, reason=""),
        change,
        "change.reason_required",
    )
    assert error.message == "Give a reason."


def test_emergency_close_needs_its_deferred_documentation(people: People) -> None:
    start = timezone.now() + timedelta(minutes=5)
    change = make_change(
        people.requester,
        type="emergency",
        implementer=people.implementer,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        backout_plan="",
        test_plan="",
    )
    change = services.change_submit(change=change, actor=people.requester)
    change = services.change_approve(change=change, actor=people.approvers[0])
    assert change.documentation_due_at is not None
    change = services.change_schedule(change=change, actor=people.requester)
    with time_machine.travel(start, tick=False):
        services.change_start(change=change, actor=people.implementer)
        services.change_complete(change=change, actor=people.implementer, outcome="successful")
        services.change_review(
            change=change, actor=people.owner, summary="Patched.", lessons="Patch sooner."
        )
    refused(
        lambda: services.change_close(change=change, actor=people.owner),
        change,
        "change.required.backout_plan",
    )
    services.change_document(
        change=change,
        actor=people.implementer,
        backout_plan="Revert the patch.",
        test_plan="Ran probes.",
    )
    assert services.change_close(change=change, actor=people.owner).status == "closed"


def test_inactive_user_is_not_eligible(people: People) -> None:
    solo = UserFactory(username="solo")
    authority("peer-review").members.set([solo])
    solo.is_active = False
    solo.save()
    change = make_change(people.requester, title="Nobody to review")
    with pytest.raises(GuardFailed) as exc:
        services.change_submit(change=change, actor=people.requester)
    assert exc.value.code == "guard_failed.change.authority.routing"


def test_system_steps_are_not_taken_by_hand(people: People) -> None:
    from changes.guards import Ctx
    from changes.transitions import CHANGE

    change = change_in("assessed", people)
    ctx = Ctx(obj=change, actor=people.owner, now=timezone.now())
    for action in ("authorise", "reject"):
        refusal = CHANGE.refusal(change.status, action, ctx)
        assert isinstance(refusal, PermissionDenied)
        assert refusal.code == "change.permission.system"
        assert refusal.message == (
            "This step is taken by the system (after submission or a decision), not by hand."
        )
    assert "authorise" not in CHANGE.available(change.status, ctx)


def test_schedule_needs_a_window(people: People) -> None:
    from changes.guards import Ctx, model_selection, window_given

    change = change_in("draft", people, planned_start=None, planned_end=None)
    with pytest.raises(GuardFailed) as exc:
        window_given(Ctx(obj=change, actor=people.requester, now=timezone.now()))
    assert exc.value.code == "guard_failed.change.schedule.window"
    assert exc.value.message == "Give the planned start and end before scheduling."
    ctx = Ctx(obj=change, actor=people.requester, now=timezone.now(), action="submit_standard")
    with pytest.raises(GuardFailed) as exc:
        model_selection(ctx)
    assert exc.value.message == (
        "Only standard changes skip authorisation; this is a normal change."
    )
