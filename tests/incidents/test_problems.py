from typing import Any

from django.core import mail

from incidents import services
from incidents.models import IncidentEvent, ProblemEvent
from incidents.tasks import incident_notify_task
from servicedesk.errors import GuardFailed, PermissionDenied, TransitionNotAllowed

from ..refusals import refused
from .factories import incident_in, make_incident, make_problem


def test_problem_lifecycle(analyst: Any) -> None:
    problem = make_problem(analyst)
    assert problem.ref == f"PRB-{problem.pk:06d}" and problem.status == "new"
    services.problem_investigate(problem=problem, actor=analyst)
    with refused(GuardFailed, "A known error needs its root cause recorded."):
        services.problem_mark_known_error(problem=problem, actor=analyst)
    services.problem_mark_known_error(
        problem=problem, actor=analyst, root_cause="Firmware 2.1 leaks memory"
    )
    with refused(GuardFailed, "Describe the permanent fix before resolving the problem."):
        services.problem_resolve(problem=problem, actor=analyst)
    services.problem_resolve(
        problem=problem, actor=analyst, permanent_fix="Firmware 2.2", fix_change_ref="CHG-000042"
    )
    closed = services.problem_close(problem=problem, actor=analyst)
    assert (closed.status, closed.fix_change_ref) == ("closed", "CHG-000042")
    assert list(ProblemEvent.objects.filter(problem=problem).values_list("type", flat=True)) == [
        "problem.created",
        "problem.investigating",
        "problem.known_error",
        "problem.resolved",
        "problem.closed",
    ]
    with refused(TransitionNotAllowed, "Cannot start investigating a problem that is closed."):
        services.problem_investigate(problem=problem, actor=analyst)


def test_requesters_do_not_manage_problems(requester: Any, analyst: Any) -> None:
    with refused(PermissionDenied, "Only analysts and managers manage problems."):
        make_problem(requester)
    problem = make_problem(analyst)
    with refused(PermissionDenied, "Only analysts and managers manage problems."):
        services.problem_investigate(problem=problem, actor=requester)
    assert ProblemEvent.objects.filter(problem=problem).count() == 1


def test_publishing_a_workaround_reaches_every_linked_open_incident(
    requester: Any,
    other_requester: Any,
    analyst: Any,
    team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    problem = make_problem(analyst)
    open_one = make_incident(requester)
    open_two = incident_in("in_progress", requester=other_requester, analyst=analyst, team=team)
    closed = incident_in("closed", requester=requester, analyst=analyst, team=team)
    linked = services.problem_link_incidents(
        problem=problem, actor=analyst, incident_ids=[open_one.pk, open_two.pk, closed.pk]
    )
    assert len(linked) == 3
    # linking again is a no-op
    assert (
        services.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[open_one.pk])
        == []
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        count = services.problem_publish_workaround(
            problem=problem, actor=analyst, workaround="Print from tray 2"
        )
    assert count == 2
    for incident in (open_one, open_two):
        incident.refresh_from_db()
        assert incident.workaround == "Print from tray 2"
        event = IncidentEvent.objects.get(incident=incident, type="incident.workaround_published")
        assert event.is_internal is False and event.reason == "Print from tray 2"
    closed.refresh_from_db()
    assert closed.workaround == ""
    assert len(callbacks) == 2
    for event in IncidentEvent.objects.filter(type="incident.workaround_published"):
        incident_notify_task.apply(args=[event.pk])
    assert sorted(m.to[0] for m in mail.outbox) == sorted([requester.email, other_requester.email])


def test_incident_linked_after_publication_gets_the_workaround(
    requester: Any, analyst: Any
) -> None:
    problem = make_problem(analyst)
    services.problem_publish_workaround(problem=problem, actor=analyst, workaround="Reboot")
    late = make_incident(requester)
    quiet = make_incident(requester)
    services.problem_link_incidents(
        problem=problem, actor=analyst, incident_ids=[late.pk], send_workaround=True
    )
    late.refresh_from_db()
    assert late.workaround == "Reboot" and late.problem == problem
    # Not confirmed: linked, but nothing is sent.
    services.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[quiet.pk])
    quiet.refresh_from_db()
    assert quiet.workaround == "" and quiet.problem == problem
    assert not quiet.events.filter(type="incident.workaround_published").exists()


def test_link_refuses_unknown_ids_and_closed_problems(requester: Any, analyst: Any) -> None:
    from servicedesk.errors import ValidationFailed

    problem = make_problem(analyst)
    incident = make_incident(requester)
    with refused(ValidationFailed, "No such incidents: INC-999999."):
        services.problem_link_incidents(
            problem=problem, actor=analyst, incident_ids=[incident.pk, 999999]
        )
    incident.refresh_from_db()
    assert incident.problem is None
    services.problem_mark_known_error(problem=problem, actor=analyst, root_cause="x")
    services.problem_resolve(problem=problem, actor=analyst, permanent_fix="y")
    with refused(
        TransitionNotAllowed, f"{problem.ref} is resolved; link incidents to an open problem."
    ):
        services.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[incident.pk])
    with refused(
        TransitionNotAllowed, f"{problem.ref} is resolved; there is nothing to work around."
    ):
        services.problem_publish_workaround(problem=problem, actor=analyst, workaround="z")
