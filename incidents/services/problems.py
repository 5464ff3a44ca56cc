"""Problem management: record, investigate, link incidents, publish workarounds, fix."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from incidents.choices import OPEN_STATUSES, ProblemStatus
from incidents.guards import Ctx, may_manage_problem
from incidents.linking import ALREADY, MOVE, link_plan, moves, workaround_rows
from incidents.models import Incident, Problem
from incidents.transitions import PROBLEM
from org.models import BusinessService, Team, User
from servicedesk import clock, concurrency
from servicedesk.errors import Conflict, TransitionNotAllowed, ValidationFailed

from .events import incident_event, problem_event
from .rows import lock_incident

LINKABLE = {ProblemStatus.NEW, ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR}


def _lock(problem: Problem | int) -> Problem:
    pk = problem.pk if isinstance(problem, Problem) else problem
    locked = Problem.objects.select_for_update(of=("self",)).get(pk=pk)
    concurrency.check_locked(locked)  # If-Match, under the lock
    return locked


def problem_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    services: Iterable[BusinessService] = (),
    owner_team: Team | None = None,
) -> Problem:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("Title is required.", details={"title": ["required"]})
    may_manage_problem(Ctx(obj=None, actor=actor, now=clock.now()))
    with transaction.atomic():
        problem = Problem.objects.create(
            title=title[:200],
            description=(description or "").strip(),
            owner_team=owner_team,
            created_by=actor,
        )
        services = list(services)
        problem.services.set(services)
        problem_event(
            problem,
            "problem.created",
            actor=actor,
            to_status=problem.status,
            payload={"service_ids": [s.pk for s in services]},
        )
    return problem


def problem_update(
    *,
    problem: Problem,
    actor: User,
    root_cause: str | None = None,
    permanent_fix: str | None = None,
    fix_change_ref: str | None = None,
    description: str | None = None,
) -> Problem:
    with transaction.atomic():
        locked = _lock(problem)
        may_manage_problem(Ctx(obj=locked, actor=actor, now=clock.now()))
        if locked.status == ProblemStatus.CLOSED:
            raise TransitionNotAllowed(f"{locked.ref} is closed.")
        changes: dict[str, dict[str, str]] = {}
        for field, value in [
            ("root_cause", root_cause),
            ("permanent_fix", permanent_fix),
            ("fix_change_ref", fix_change_ref),
            ("description", description),
        ]:
            if value is not None and getattr(locked, field) != value.strip():
                changes[field] = {"old": getattr(locked, field), "new": value.strip()}
                setattr(locked, field, value.strip())
        if changes:
            locked.save(update_fields=[*changes, "updated_at"])
            problem_event(locked, "problem.updated", actor=actor, payload={"changes": changes})
    return locked


def _transition(problem: Problem, action: str, actor: User, **data: Any) -> tuple[Problem, str]:
    locked = _lock(problem)
    transition = PROBLEM.check(locked.status, action)
    PROBLEM.run_guards(transition, Ctx(obj=locked, actor=actor, now=clock.now(), data=data))
    from_status = locked.status
    locked.status = transition.target
    return locked, from_status


def problem_investigate(*, problem: Problem, actor: User) -> Problem:
    with transaction.atomic():
        locked, from_status = _transition(problem, "investigate", actor)
        locked.save(update_fields=["status", "updated_at"])
        problem_event(
            locked,
            "problem.investigating",
            actor=actor,
            from_status=from_status,
            to_status=locked.status,
        )
    return locked


def problem_mark_known_error(*, problem: Problem, actor: User, root_cause: str = "") -> Problem:
    root_cause = (root_cause or "").strip()
    with transaction.atomic():
        locked, from_status = _transition(problem, "mark_known_error", actor, root_cause=root_cause)
        if root_cause:
            locked.root_cause = root_cause
        locked.save(update_fields=["status", "root_cause", "updated_at"])
        problem_event(
            locked,
            "problem.known_error",
            actor=actor,
            from_status=from_status,
            to_status=locked.status,
            payload={"root_cause": locked.root_cause},
        )
    return locked


def problem_resolve(
    *, problem: Problem, actor: User, permanent_fix: str = "", fix_change_ref: str = ""
) -> Problem:
    permanent_fix = (permanent_fix or "").strip()
    with transaction.atomic():
        locked, from_status = _transition(problem, "resolve", actor, permanent_fix=permanent_fix)
        if permanent_fix:
            locked.permanent_fix = permanent_fix
        if fix_change_ref:
            locked.fix_change_ref = fix_change_ref.strip()[:20]
        locked.resolved_at = clock.now()
        locked.save(
            update_fields=["status", "permanent_fix", "fix_change_ref", "resolved_at", "updated_at"]
        )
        problem_event(
            locked,
            "problem.resolved",
            actor=actor,
            from_status=from_status,
            to_status=locked.status,
            payload={
                "permanent_fix": locked.permanent_fix,
                "fix_change_ref": locked.fix_change_ref,
            },
        )
    return locked


def problem_close(*, problem: Problem, actor: User) -> Problem:
    with transaction.atomic():
        locked, from_status = _transition(problem, "close", actor)
        locked.closed_at = clock.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        problem_event(
            locked, "problem.closed", actor=actor, from_status=from_status, to_status=locked.status
        )
    return locked


def _give_workaround(
    incident: Incident, problem: Problem, actor: User, *, me_too: bool = False
) -> None:
    incident.workaround = problem.workaround
    incident.save(update_fields=["workaround", "updated_at"])
    incident_event(
        incident,
        "incident.workaround_published",
        actor=actor,
        reason=problem.workaround,
        payload={"problem_id": problem.pk, "problem": problem.ref, "me_too": me_too},
        notify=True,
    )


def problem_link_incidents(
    *,
    problem: Problem,
    actor: User,
    incident_ids: Iterable[int],
    move: bool = False,
    send_workaround: bool = False,
) -> list[Incident]:
    """Link many incidents at once; already-linked ones are skipped.

    Safe by default: an incident linked to another problem moves only with ``move`` (else 409,
    nothing changes), and the problem's published workaround reaches the open incidents only
    with ``send_workaround`` (what will happen is shown first by ``linking.link_plan``)."""
    ids = sorted({int(i) for i in incident_ids})
    if not ids:
        raise ValidationFailed("Select at least one incident.")
    if len(ids) > 500:
        raise ValidationFailed("Link at most 500 incidents at once.")
    with transaction.atomic():
        locked = _lock(problem)
        may_manage_problem(Ctx(obj=locked, actor=actor, now=clock.now()))
        if locked.status not in LINKABLE:
            raise TransitionNotAllowed(
                f"{locked.ref} is {locked.get_status_display().lower()}; link incidents to an "
                "open problem."
            )
        incidents = list(
            Incident.objects.select_for_update(of=("self",))
            .select_related("problem")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        missing = sorted(set(ids) - {i.pk for i in incidents})
        if missing:
            raise ValidationFailed(
                "No such incidents: " + ", ".join(f"INC-{pk:06d}" for pk in missing) + "."
            )
        plan = link_plan(locked, incidents)
        moving = moves(plan)
        if moving and not move:
            raise Conflict(
                " ".join(
                    f"{r.incident.ref} is already linked to {r.previous_problem.ref}."
                    for r in moving
                )
                + " Confirm to move "
                + ("it" if len(moving) == 1 else "them")
                + f" to {locked.ref}.",
                code="problem_link.move_unconfirmed",
                details={
                    "moves": [
                        {"incident_id": r.incident.pk, "from_problem_id": r.previous_problem.pk}
                        for r in moving
                    ]
                },
            )
        linked = []
        for row in plan:
            if row.outcome == ALREADY:
                continue
            incident, previous = row.incident, row.previous_problem
            incident.problem = locked
            incident.save(update_fields=["problem", "updated_at"])
            incident_event(
                incident,
                "incident.problem_moved" if row.outcome == MOVE else "incident.problem_linked",
                actor=actor,
                internal=True,
                payload={
                    "problem_id": locked.pk,
                    "problem": locked.ref,
                    "previous_problem_id": previous.pk if previous else None,
                    "previous_problem": previous.ref if previous else "",
                },
            )
            if previous is not None:
                problem_event(
                    previous,
                    "problem.incident_moved_away",
                    actor=actor,
                    payload={"incident_id": incident.pk, "to_problem_id": locked.pk},
                )
            if send_workaround and row.gets_workaround:
                _give_workaround(incident, locked, actor)
            linked.append(incident)
        if linked:
            problem_event(
                locked,
                "problem.incidents_linked",
                actor=actor,
                payload={
                    "incident_ids": [i.pk for i in linked],
                    "moved_ids": [r.incident.pk for r in moving],
                    "workaround_sent": bool(send_workaround and workaround_rows(plan)),
                },
            )
    return linked


def incident_unlink_problem(*, incident: Incident, actor: User, reason: str = "") -> Incident:
    """Take an incident off its problem. The workaround it already received stays on it."""
    reason = (reason or "").strip()[:2000]
    with transaction.atomic():
        locked = lock_incident(incident)
        may_manage_problem(Ctx(obj=locked, actor=actor, now=clock.now()))
        if locked.problem_id is None:
            raise Conflict(f"{locked.ref} is not linked to a problem.", code="problem.not_linked")
        previous = _lock(locked.problem_id)
        locked.problem = None
        locked.save(update_fields=["problem", "updated_at"])
        incident_event(
            locked,
            "incident.problem_unlinked",
            actor=actor,
            internal=True,
            reason=reason,
            payload={"previous_problem_id": previous.pk, "previous_problem": previous.ref},
        )
        problem_event(
            previous,
            "problem.incident_unlinked",
            actor=actor,
            reason=reason,
            payload={"incident_id": locked.pk},
        )
    return locked


def incident_join_known_error(*, incident: Incident, problem: Problem, actor: User) -> Incident:
    """ "This is happening to me too": the requester links their new ticket to a published known
    error and gets its workaround at once. Called inside ``incident_create``'s transaction."""
    locked_problem = _lock(problem)
    if not (
        locked_problem.status in LINKABLE
        and locked_problem.workaround_published_at
        and locked_problem.workaround
    ):
        raise ValidationFailed(
            "That known error no longer has a published workaround; send the report without it.",
            code="known_error.unavailable",
        )
    incident.problem = locked_problem
    incident.save(update_fields=["problem", "updated_at"])
    incident_event(
        incident,
        "incident.problem_linked",
        actor=actor,
        internal=True,
        payload={
            "problem_id": locked_problem.pk,
            "problem": locked_problem.ref,
            "previous_problem_id": None,
            "me_too": True,
        },
    )
    _give_workaround(incident, locked_problem, actor, me_too=True)
    problem_event(
        locked_problem,
        "problem.incidents_linked",
        actor=actor,
        payload={"incident_ids": [incident.pk], "me_too": True, "workaround_sent": True},
    )
    return incident


def problem_publish_workaround(*, problem: Problem, actor: User, workaround: str) -> int:
    """Write the workaround onto every linked open incident's timeline (requesters are told).
    Returns how many incidents received it."""
    workaround = (workaround or "").strip()
    if not workaround:
        raise ValidationFailed("Describe the workaround.", details={"workaround": ["required"]})
    with transaction.atomic():
        locked = _lock(problem)
        may_manage_problem(Ctx(obj=locked, actor=actor, now=clock.now()))
        if locked.status not in LINKABLE:
            raise TransitionNotAllowed(
                f"{locked.ref} is {locked.get_status_display().lower()}; there is nothing to "
                "work around."
            )
        locked.workaround = workaround
        locked.workaround_published_at = clock.now()
        locked.save(update_fields=["workaround", "workaround_published_at", "updated_at"])
        incidents = list(
            Incident.objects.select_for_update(of=("self",))
            .filter(problem=locked, status__in=OPEN_STATUSES)
            .order_by("pk")
        )
        for incident in incidents:
            _give_workaround(incident, locked, actor)
        problem_event(
            locked,
            "problem.workaround_published",
            actor=actor,
            reason=workaround,
            payload={"incident_ids": [i.pk for i in incidents]},
        )
    return len(incidents)
