"""Feeds into the register (bypass reviews, resolved problems, failed changes' reviews), and
process debt: the threshold raises exactly one item per pattern and window."""

from datetime import timedelta

import pytest
import time_machine

from bypass.models import BypassEvent
from bypass.signals import request_reviewed
from improvements import services
from improvements.choices import DebtStatus, Source
from improvements.models import DebtPolicy, Improvement, ProcessDebt
from improvements.tasks import improvement_feed_task, process_debt_notify_task
from notifications.models import Notification
from servicedesk import clock
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import OutboxMessage

from ..incidents.factories import make_problem
from .conftest import approved_bypass

pytestmark = pytest.mark.django_db

GATE = "incident.closure.customer_confirmation"


def run_outbox(prefix):
    """Run what the receivers recorded, as the worker would (twice: redelivery is harmless)."""
    out = []
    for message in OutboxMessage.objects.filter(key__startswith=prefix).order_by("pk"):
        for _ in range(2):
            out.append(improvement_feed_task(*message.args, **message.kwargs))
    return out


def test_a_bypass_review_becomes_exactly_one_suggestion(analyst, owners, requester):
    request = approved_bypass(analyst, owners[0])
    for _ in range(2):  # a signal delivered twice records the work once
        request_reviewed.send(
            sender=None,
            request_id=request.pk,
            reviewer_id=analyst.pk,
            outcome="worked",
            misfit="The requester was on leave and could not confirm.",
            proposal="Let the team lead confirm for an absent requester.",
        )
    assert (
        OutboxMessage.objects.filter(key=f"improvement-feed:bypass_review:{request.pk}").count()
        == 1
    )
    run_outbox("improvement-feed:")
    row = Improvement.objects.get()
    assert (row.source, row.source_key, row.suggested_by) == (
        Source.BYPASS_REVIEW,
        f"bypass-review:{request.pk}",
        analyst,
    )
    assert row.title == "Let the team lead confirm for an absent requester."
    assert row.description == (
        f"From the review of {request.ref} (bypass of “Customer confirmation” on "
        f"{request.subject_ref}): it worked.\n\n"
        "What did not fit: The requester was on leave and could not confirm.\n\n"
        "Proposal: Let the team lead confirm for an absent requester."
    )
    from bypass import gates

    assert row.gate_id == GATE and row.owner_group == gates.get(GATE).owner
    (ev,) = row.evidence.all()
    assert (ev.kind, ev.object_id, ev.ref) == ("bypass_review", request.pk, request.ref)
    # Even called directly again, the same review feeds nothing more.
    again = services.improvement_from_bypass_review(
        request_id=request.pk, reviewer_id=analyst.pk, outcome="worked", misfit="x", proposal="y"
    )
    assert again == row and Improvement.objects.count() == 1


def test_a_review_without_misfit_or_proposal_feeds_nothing(analyst, owners):
    request = approved_bypass(analyst, owners[0])
    request_reviewed.send(
        sender=None,
        request_id=request.pk,
        reviewer_id=analyst.pk,
        outcome="worked",
        misfit=" ",
        proposal="",
    )
    assert not OutboxMessage.objects.filter(key__startswith="improvement-feed:").exists()


def test_a_problem_resolved_with_a_permanent_fix_feeds_the_register(analyst, process_owner):
    from incidents import services as incident_services

    problem = make_problem(analyst)
    problem = incident_services.problem_investigate(problem=problem, actor=analyst)
    problem = incident_services.problem_resolve(
        problem=problem, actor=analyst, permanent_fix="Replaced the print server's spooler."
    )
    assert run_outbox("improvement-feed:problem:")
    row = Improvement.objects.get()
    assert row.title == f"Post-mortem of {problem.ref}: Floor 2 printers jam"
    assert row.description == (
        f"{problem.ref} “Floor 2 printers jam” was resolved. Permanent fix: Replaced the print "
        "server's spooler."
    )
    assert [e.ref for e in row.evidence.all()] == [problem.ref]


def test_other_problem_steps_feed_nothing(analyst):
    from incidents import services as incident_services

    problem = incident_services.problem_investigate(problem=make_problem(analyst), actor=analyst)
    incident_services.problem_mark_known_error(
        problem=problem, actor=analyst, root_cause="The spooler leaks."
    )
    assert not OutboxMessage.objects.filter(key__startswith="improvement-feed:").exists()


def test_the_sweep_raises_one_debt_item_per_pattern_and_window(
    analyst, owners, requester, debt_policies, django_assert_num_queries
):
    first = [approved_bypass(analyst, owners[0], beneficiary=requester) for _ in range(2)]
    assert services.debt_sweep() == {"raised": 0, "updated": 0}  # 2 < 3
    third = approved_bypass(analyst, owners[1], beneficiary=requester)
    assert services.debt_sweep() == {"raised": 1, "updated": 0}
    debt = ProcessDebt.objects.get()
    assert (debt.gate_id, debt.dimension, debt.key_id, debt.key_label) == (
        GATE,
        "beneficiary",
        requester.pk,
        requester.name,
    )
    assert debt.request_ids == [r.pk for r in [*first, third]] and debt.request_count == 3
    assert debt.status == DebtStatus.OPEN
    assert OutboxMessage.objects.filter(key=f"process-debt-notify:{debt.pk}").count() == 1
    # Nothing new on the ledger: a few indexed lookups, whatever the history holds.
    with django_assert_num_queries(4):
        assert services.debt_sweep() == {"raised": 0, "updated": 0}
    # A fourth bypass in the same window grows the item; it raises no second one.
    fourth = approved_bypass(analyst, owners[2], beneficiary=requester)
    assert services.debt_sweep() == {"raised": 0, "updated": 1}
    debt.refresh_from_db()
    assert debt.request_count == 4 and debt.request_ids[-1] == fourth.pk
    assert ProcessDebt.objects.count() == 1
    # Rerunning the whole history (a lost mark) still finds the one item.
    from improvements.models import DebtSweepMark

    DebtSweepMark.objects.update(seq=0)
    assert services.debt_sweep() == {"raised": 0, "updated": 0}
    assert ProcessDebt.objects.count() == 1


def test_the_threshold_and_window_are_data(analyst, owners, requester, debt_policies):
    DebtPolicy.objects.create(gate_id=GATE, dimension="beneficiary", threshold=2, window_days=7)
    approved_bypass(analyst, owners[0], beneficiary=requester)
    with time_machine.travel(clock.now() + timedelta(days=8), tick=False):
        approved_bypass(analyst, owners[0], beneficiary=requester)
        assert services.debt_sweep()["raised"] == 0  # the first fell out of the 7-day window
        approved_bypass(analyst, owners[0], beneficiary=requester)
        assert services.debt_sweep()["raised"] == 1
    debt = ProcessDebt.objects.get()
    assert (debt.threshold, debt.window_days, debt.request_count) == (2, 7, 2)


def test_the_owner_is_told_and_turns_debt_into_an_improvement(
    analyst, owners, requester, debt_policies, manager
):
    for _ in range(3):
        approved_bypass(analyst, owners[0], beneficiary=requester)
    services.debt_sweep()
    debt = ProcessDebt.objects.get()
    assert process_debt_notify_task(debt.pk) == 3
    assert process_debt_notify_task(debt.pk) == 0
    note = Notification.objects.filter(key=f"process-debt:{debt.pk}").first()
    assert note.kind == "process_debt"
    assert note.title == (f"Process debt {debt.ref}: “Customer confirmation” bypassed 3 times")
    assert note.body == (
        "“Customer confirmation” was bypassed 3 times within 90 days for the "
        f"same beneficiary ({requester.name}); the threshold is 3. Look at the requests and "
        "their reasons, and turn it into an improvement if the process should change."
    )
    with pytest.raises(PermissionDenied):
        services.debt_convert(debt_item=debt, actor=manager)
    row = services.debt_convert(debt_item=debt, actor=owners[0])
    assert (row.source, row.gate_id, row.suggested_by) == (Source.PROCESS_DEBT, GATE, owners[0])
    assert [e.kind for e in row.evidence.all()] == ["process_debt"] + ["bypass_request"] * 3
    debt.refresh_from_db()
    assert (debt.status, debt.improvement) == (DebtStatus.CONVERTED, row)
    with pytest.raises(Conflict) as refused:
        services.debt_convert(debt_item=debt, actor=owners[0])
    assert refused.value.message == f"{debt.ref} is already improvement {row.ref}."


def test_requests_not_granted_are_not_debt(analyst, owners, requester, debt_policies):
    from ..bypass.conftest import file
    from ..incidents.factories import make_incident

    for _ in range(3):
        file(analyst, make_incident(requester), beneficiary=requester)  # still awaiting approval
    assert BypassEvent.objects.exists()
    assert services.debt_sweep()["raised"] == 0


def test_a_failed_changes_review_with_lessons_feeds_the_register(requester, in_group):
    from changes import services as change_services
    from org.choices import Role

    from ..changes.factories import People, authority, change_in
    from ..org.factories import TeamFactory, UserFactory

    platform = TeamFactory(slug="platform", name="Platform")
    implementer = UserFactory(username="implementer", display_name="Ivy Implementer")
    platform.members.add(implementer)
    approvers = [
        in_group(UserFactory(username=n, display_name=n.title()), Role.CHANGE_AUTHORITY)
        for n in ("alice", "bob", "carol")
    ]
    for slug in ("peer-review", "service-owner", "cab", "ecab"):
        authority(slug).members.set(approvers)
    owner = in_group(UserFactory(username="olga", display_name="Olga Owner"), Role.PROCESS_OWNER)
    change = change_in("scheduled", People(requester, implementer, approvers, owner))
    with time_machine.travel(change.planned_start, tick=False):
        change = change_services.change_start(change=change, actor=implementer)
        change = change_services.change_complete(
            change=change, actor=implementer, outcome="failed", notes="The patch broke login."
        )
        change = change_services.change_review(
            change=change,
            actor=owner,
            summary="Backed out in 20 minutes.",
            lessons="Test the login flow in staging before any identity patch.",
        )
    assert run_outbox("improvement-feed:change_review:")
    row = Improvement.objects.get()
    assert (row.source, row.suggested_by) == (Source.CHANGE_REVIEW, owner)
    assert row.title == (
        f"Lessons from {change.ref}: Test the login flow in staging before any identity patch."
    )
    assert row.description == (
        f"{change.ref} “{change.title}” failed. Lessons from its review: Test the login flow in "
        "staging before any identity patch.\n\nSummary: Backed out in 20 minutes."
    )
    assert [e.ref for e in row.evidence.all()] == [change.ref]
