"""Service behaviour: approvals and quorum, edits voiding approvals, standard and emergency
changes, the documentation chase, incident links, templates, append-only history."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from changes import selectors, services
from changes.models import ChangeDecision, ChangeEvent
from changes.tasks import change_chase_documentation_task, change_notify_task
from incidents.models import IncidentEvent
from servicedesk.errors import Conflict, TransitionNotAllowed

from ..incidents.factories import make_incident
from .factories import (
    HIGH_RISK,
    VERY_HIGH_RISK,
    People,
    authority,
    change_in,
    make_change,
    make_template,
)


@pytest.fixture
def people(requester: Any, implementer: Any, approvers: list, process_owner: Any) -> People:
    return People(requester, implementer, approvers, process_owner)


def _types(change: Any) -> list[str]:
    return list(ChangeEvent.objects.filter(change=change).values_list("type", flat=True))


def test_normal_change_path_and_metrics_timestamps(people: People) -> None:
    change = change_in("closed", people)
    assert _types(change) == [
        "change.created",
        "change.submitted",
        "change.assessed",
        "change.approved_by",
        "change.authorised",
        "change.scheduled",
        "change.started",
        "change.completed",
        "change.reviewed",
        "change.closed",
    ]
    for field in (
        "submitted_at",
        "authorised_at",
        "scheduled_at",
        "started_at",
        "ended_at",
        "reviewed_at",
        "closed_at",
    ):
        assert getattr(change, field) is not None, field
    assert change.outcome == "successful" and change.restored_at is None
    assessed = ChangeEvent.objects.get(change=change, type="change.assessed")
    assert assessed.payload["risk_class"] == "low"
    assert assessed.payload["authorities"] == [
        {"id": authority("peer-review").pk, "name": "Peer review"}
    ]


def test_cab_two_of_three_settles_at_the_second_approval(people: People) -> None:
    change = change_in(
        "assessed",
        people,
        risk=HIGH_RISK,
        planned_start=timezone.now() + timedelta(days=5),
        planned_end=timezone.now() + timedelta(days=5, hours=1),
    )
    assert change.risk_class == "high" and change.current_authority == authority("cab")
    alice, bob, carol = people.approvers
    change = services.change_approve(change=change, actor=alice, comment="Looks fine.")
    assert change.status == "assessed"
    assert [c.pk for c in selectors.approval_inbox(user=alice)] == []
    assert [c.pk for c in selectors.approval_inbox(user=bob)] == [change.pk]
    change = services.change_approve(change=change, actor=bob)
    assert change.status == "authorised"
    assert [c.pk for c in selectors.approval_inbox(user=carol)] == []
    with pytest.raises(TransitionNotAllowed) as exc:
        services.change_approve(change=change, actor=carol)
    assert exc.value.message == f"{change.ref} is authorised; it is not awaiting authorisation."


def test_n_of_m_rejects_early_when_approval_is_out_of_reach(people: People) -> None:
    change = change_in(
        "assessed",
        people,
        risk=HIGH_RISK,
        planned_start=timezone.now() + timedelta(days=5),
        planned_end=timezone.now() + timedelta(days=5, hours=1),
    )
    alice, bob, _carol = people.approvers
    services.change_reject(change=change, actor=alice, comment="No backout rehearsal.")
    change = services.change_reject(change=change, actor=bob, comment="Agree with Alice.")
    assert change.status == "rejected"
    assert ChangeEvent.objects.get(change=change, type="change.rejected").reason == (
        "Rejected by CAB: Agree with Alice."
    )


def test_chain_service_owner_then_cab(people: People) -> None:
    change = change_in(
        "assessed",
        people,
        risk=VERY_HIGH_RISK,
        planned_start=timezone.now() + timedelta(days=6),
        planned_end=timezone.now() + timedelta(days=6, hours=1),
    )
    assert change.risk_class == "very_high"
    assert change.authority_chain == [authority("service-owner").pk, authority("cab").pk]
    alice, _bob, carol = people.approvers
    change = services.change_approve(change=change, actor=alice)
    assert change.status == "assessed" and change.current_authority_id == authority("cab").pk
    # a new stage: alice may decide again, for the CAB
    change = services.change_approve(change=change, actor=alice)
    change = services.change_approve(change=change, actor=carol)
    assert change.status == "authorised"
    assert "change.stage_approved" in _types(change)


def test_one_decision_per_member_per_revision(people: People) -> None:
    change = change_in(
        "assessed",
        people,
        risk=HIGH_RISK,
        planned_start=timezone.now() + timedelta(days=5),
        planned_end=timezone.now() + timedelta(days=5, hours=1),
    )
    services.change_approve(change=change, actor=people.approvers[0])
    with pytest.raises(Conflict) as exc:
        services.change_reject(change=change, actor=people.approvers[0], comment="Changed my mind")
    assert exc.value.code == "change.approval.once"
    assert exc.value.message == f"You have already decided on this revision of {change.ref}."


def test_edit_after_submission_voids_approvals(people: People) -> None:
    change = change_in(
        "assessed",
        people,
        risk=HIGH_RISK,
        planned_start=timezone.now() + timedelta(days=5),
        planned_end=timezone.now() + timedelta(days=5, hours=1),
    )
    alice, bob, _ = people.approvers
    services.change_approve(change=change, actor=alice)
    change = services.change_update(
        change=change, actor=people.requester, backout_plan="Restore the snapshot."
    )
    assert change.status == "assessed" and change.revision == 2
    revised = ChangeEvent.objects.get(change=change, type="change.revised")
    assert revised.reason == "Edited after submission: 1 approval(s) no longer count."
    assert revised.payload["changed"]["backout_plan"][1] == "Restore the snapshot."
    change = services.change_approve(change=change, actor=bob)
    assert change.status == "assessed"  # alice's approval was for revision 1
    assert [c.pk for c in selectors.approval_inbox(user=alice)] == [change.pk]
    change = services.change_approve(change=change, actor=alice)
    assert change.status == "authorised"


def test_edit_of_a_scheduled_change_unbooks_it(people: People) -> None:
    change = change_in("scheduled", people)
    change = services.change_update(
        change=change, actor=people.requester, planned_end=change.planned_end + timedelta(hours=1)
    )
    assert (
        change.status == "assessed" and change.scheduled_at is None and change.authorised_at is None
    )


def test_unchanged_edit_is_a_no_op(people: People) -> None:
    change = change_in("authorised", people)
    services.change_update(change=change, actor=people.requester, title=change.title)
    change.refresh_from_db()
    assert change.status == "authorised" and change.revision == 1


def test_standard_change_goes_straight_to_scheduled(
    people: People, analyst: Any, payroll: Any
) -> None:
    template = make_template(analyst, people.owner, services=[payroll])
    start = timezone.now() + timedelta(hours=2)
    change = services.change_create(
        actor=people.requester, template=template, planned_start=start, submit=True
    )
    assert change.status == "scheduled" and change.type == "standard"
    assert change.planned_end == start + timedelta(hours=1)
    assert change.submitted_at == change.authorised_at == change.scheduled_at
    assert list(change.services.all()) == [payroll]
    assert change.backout_plan == template.backout_plan
    assert _types(change) == ["change.created", "change.scheduled"]
    event = ChangeEvent.objects.get(change=change, type="change.scheduled")
    assert (
        event.reason
        == "Pre-authorised by the standard change template “Restart an application server”."
    )
    assert event.from_status == "draft" and event.to_status == "scheduled"


def test_template_needs_process_owner_approval_and_edits_reset_it(
    analyst: Any, process_owner: Any, requester: Any
) -> None:
    template = services.template_propose(
        actor=analyst, title="Rotate TLS cert", procedure="Run the playbook."
    )
    assert template.status == "proposed"
    from servicedesk.errors import PermissionDenied

    with pytest.raises(PermissionDenied) as exc:
        services.template_approve(template=template, actor=analyst)
    assert exc.value.message == "Approving a standard change template is for process owners."
    template = services.template_approve(template=template, actor=process_owner)
    assert template.status == "active" and template.approved_by == process_owner
    template = services.template_update(
        template=template, actor=analyst, procedure="Run playbook v2."
    )
    assert template.status == "proposed" and template.approved_by is None
    with pytest.raises(PermissionDenied):
        services.template_propose(actor=requester, title="x", procedure="y")


def test_template_flagged_when_failing_above_threshold(people: People, analyst: Any) -> None:
    template = make_template(analyst, people.owner, min_sample=2, failure_threshold=Decimal("0.40"))
    for outcome in ("successful", "failed", "backed_out"):
        start = timezone.now() + timedelta(
            days=1, hours=3 * ["successful", "failed", "backed_out"].index(outcome)
        )
        change = services.change_create(
            actor=people.requester,
            template=template,
            planned_start=start,
            implementer=people.implementer,
            submit=True,
        )
        with time_machine.travel(start, tick=False):
            services.change_start(change=change, actor=people.implementer)
            services.change_complete(change=change, actor=people.implementer, outcome=outcome)
    listed = selectors.template_get(user=people.owner, pk=template.pk)
    assert (listed.use_count, listed.successful_count, listed.failed_count) == (3, 1, 2)
    assert selectors.template_flagged(listed)


def test_failed_change_records_restoration(people: People) -> None:
    change = change_in("implementing", people)
    restored = change.started_at + timedelta(minutes=20)
    change = services.change_complete(
        change=change, actor=people.implementer, outcome="failed", restored_at=restored
    )
    assert change.restored_at == restored and change.outcome == "failed"


def test_emergency_documentation_chase(
    people: People, django_capture_on_commit_callbacks: Any, mailoutbox: list
) -> None:
    start = timezone.now() + timedelta(minutes=30)
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
    assert change.documentation_due_at == change.authorised_at + timedelta(hours=48)
    assert change_chase_documentation_task.apply().get() == 0
    with time_machine.travel(change.documentation_due_at + timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert change_chase_documentation_task.apply().get() == 1
        assert len(callbacks) == 1
        assert change_chase_documentation_task.apply().get() == 0  # idempotent
    event = ChangeEvent.objects.get(change=change, type="change.documentation_overdue")
    assert event.reason.endswith("missing: backout plan, test evidence.")
    assert change_notify_task.apply(args=[event.pk]).get() == 2
    assert mailoutbox[-1].subject == f"{change.ref}: emergency change documentation is overdue"
    assert sorted(mailoutbox[-1].to) == ["implementer@example.com", "requester@example.com"]


def test_approvers_are_told_on_commit_only(
    people: People, django_capture_on_commit_callbacks: Any, mailoutbox: list
) -> None:
    change = make_change(people.requester, implementer=people.implementer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.change_submit(change=change, actor=people.requester)
    # The notice waits for the commit (without Redis, so do the gate counts: not counted here).
    notices = [c for c in callbacks if c.__module__ != "bypass.counters"]
    assert len(notices) == 1 and mailoutbox == []
    event = ChangeEvent.objects.get(change=change, type="change.assessed")
    assert change_notify_task.apply(args=[event.pk]).get() == 3
    assert mailoutbox[0].subject == f"{change.ref} awaits your authorisation"
    assert mailoutbox[0].to == ["alice@example.com", "bob@example.com", "carol@example.com"]


def test_link_incidents_both_ways(people: People, analyst: Any) -> None:
    change = change_in("implemented", people)
    incident = make_incident(people.requester)
    linked = services.change_link_incidents(
        change=change, actor=analyst, incident_ids=[incident.pk]
    )
    assert linked == [incident]
    assert (
        services.change_link_incidents(change=change, actor=analyst, incident_ids=[incident.pk])
        == []
    )
    event = IncidentEvent.objects.get(incident=incident, type="incident.change_linked")
    assert event.payload == {"change_id": change.pk, "change": change.ref, "relation": "caused_by"}
    assert [
        link.change for link in selectors.changes_for_incident(user=analyst, incident=incident)
    ] == [change]
    from servicedesk.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.change_link_incidents(change=change, actor=analyst, incident_ids=[999999])
    assert exc.value.message == "No such incidents: INC-999999."


def _refused(action: Any) -> None:
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        action()
    assert "append-only" in str(refused.value)


@pytest.mark.parametrize("model", [ChangeEvent, ChangeDecision])
def test_history_is_append_only(model: Any, people: People) -> None:
    change_in("authorised", people)
    row = model.objects.first()
    _refused(lambda: model.objects.filter(pk=row.pk).update(created_at=timezone.now()))
    _refused(lambda: model.objects.filter(pk=row.pk).delete())

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [row.pk])

    _refused(raw)
    assert model.objects.filter(pk=row.pk).exists()


def test_postgres_triggers_are_installed(require_postgres: Any) -> None:
    with connection.cursor() as cursor:
        for table in ("changes_changeevent", "changes_changedecision"):
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
                "ORDER BY tgname",
                [table],
            )
            assert [r[0] for r in cursor.fetchall()] == [
                f"{table}_append_only_trg",
                f"{table}_no_truncate_trg",
            ]
