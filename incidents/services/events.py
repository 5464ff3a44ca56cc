"""Event rows, written only here and only by services, in the service's transaction."""

from typing import Any

from incidents.models import Incident, IncidentEvent, Problem, ProblemEvent
from notifications.dispatch import schedule


def incident_event(
    incident: Incident,
    type: str,
    *,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
    internal: bool = False,
    notify: bool = False,
) -> IncidentEvent:
    event = IncidentEvent.objects.create(
        incident=incident,
        type=type,
        actor=actor,
        actor_name=actor.name,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        payload=payload or {},
        is_internal=internal,
    )
    if notify and not internal:
        from incidents.tasks import incident_notify_task

        schedule(incident_notify_task, event.pk)
    return event


def problem_event(
    problem: Problem,
    type: str,
    *,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
) -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem,
        type=type,
        actor=actor,
        actor_name=actor.name,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        payload=payload or {},
    )
