"""Event rows, written only here and only by services, in the service's transaction."""

from typing import Any

from incidents.models import Incident, IncidentEvent, Problem, ProblemEvent
from servicedesk import clock, outbox


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
    if notify and not internal and not clock.is_pinned():
        from incidents.tasks import incident_notify_task, notify_key

        outbox.enqueue(incident_notify_task, args=[event.pk], key=notify_key(event.pk))
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
