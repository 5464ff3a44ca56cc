"""Problem management: record, investigate, link incidents, publish workarounds, fix."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from incidents.choices import OPEN_STATUSES, ProblemStatus
from incidents.guards import Ctx, may_manage_problem
from incidents.models import Incident, Problem
from incidents.transitions import PROBLEM
from org.models import BusinessService, Team, User
from servicedesk import clock, concurrency
from servicedesk.errors import TransitionNotAllowed, ValidationFailed

from .events import incident_event, problem_event

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


def _give_workaround(incident: Incident, problem: Problem, actor: User) -> None:
    incident.workaround = problem.workaround
    incident.save(update_fields=["workaround", "updated_at"])
    incident_event(
        incident,
        "incident.workaround_published",
        actor=actor,
        reason=problem.workaround,
        payload={"problem_id": problem.pk, "problem": problem.ref},
        notify=True,
    )


def problem_link_incidents(
    *, problem: Problem, actor: User, incident_ids: Iterable[int]
) -> list[Incident]:
    """Link many incidents at once. Already-linked ones are skipped; open ones receive the
    published workaround, if there is one."""
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
            Incident.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
        )
        missing = sorted(set(ids) - {i.pk for i in incidents})
        if missing:
            raise ValidationFailed(
                "No such incidents: " + ", ".join(f"INC-{pk:06d}" for pk in missing) + "."
            )
        linked = []
        for incident in incidents:
            if incident.problem_id == locked.pk:
                continue
            previous = incident.problem_id
            incident.problem = locked
            incident.save(update_fields=["problem", "updated_at"])
            incident_event(
                incident,
                "incident.problem_linked",
                actor=actor,
                internal=True,
                payload={
                    "problem_id": locked.pk,
                    "problem": locked.ref,
                    "previous_problem_id": previous,
                },
            )
            if locked.workaround_published_at and incident.status in OPEN_STATUSES:
                _give_workaround(incident, locked, actor)
            linked.append(incident)
        if linked:
            problem_event(
                locked,
                "problem.incidents_linked",
                actor=actor,
                payload={"incident_ids": [i.pk for i in linked]},
            )
    return linked


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
