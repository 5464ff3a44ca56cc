"""Event rows, written only here and only by services, in the service's transaction."""

from typing import Any

from django.conf import settings

from incidents.models import Incident, IncidentEvent, Problem, ProblemEvent
from notifications.dispatch import schedule
from servicedesk import clock


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
        from incidents.tasks import incident_notify_task, notify_key

        schedule(incident_notify_task, event.pk, key=notify_key(event.pk))
    if not clock.is_pinned():
        _publish(
            event,
            key=f"incident-event:{event.pk}",
            subject={"incident": _incident_summary(incident)},
        )
    return event


def incident_events_bulk(
    items: list[tuple[Incident, dict[str, Any]]], *, actor: Any
) -> list[IncidentEvent]:
    """``incident_event(incident, actor=actor, **fields)`` for each item, set-wise (one insert,
    webhooks in one more): for internal records such as the SLA sweep's."""
    events = IncidentEvent.objects.bulk_create(
        [
            IncidentEvent(
                incident=incident,
                type=fields["type"],
                actor=actor,
                actor_name=actor.name,
                from_status=fields.get("from_status", ""),
                to_status=fields.get("to_status", ""),
                reason=fields.get("reason", ""),
                payload=fields.get("payload") or {},
                is_internal=fields.get("internal", False),
            )
            for incident, fields in items
        ]
    )
    if not clock.is_pinned():
        from webhooks.services import webhook_publish_many

        webhook_publish_many(  # a generator: built only when somebody subscribes
            _webhook_event(
                event,
                key=f"incident-event:{event.pk}",
                subject={"incident": _incident_summary(incident)},
            )
            for event, (incident, _fields) in zip(events, items, strict=True)
        )
    return events


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
    event = ProblemEvent.objects.create(
        problem=problem,
        type=type,
        actor=actor,
        actor_name=actor.name,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        payload=payload or {},
    )
    if not clock.is_pinned():
        _publish(
            event,
            key=f"problem-event:{event.pk}",
            subject={"problem": _problem_summary(problem)},
        )
    return event


# --- webhooks: every event, in its transaction, to the subscriptions that want it -----------
def _publish(event: IncidentEvent | ProblemEvent, *, key: str, subject: dict[str, Any]) -> None:
    from webhooks.services import webhook_publish

    webhook_publish(**_webhook_event(event, key=key, subject=subject))


def _webhook_event(
    event: IncidentEvent | ProblemEvent, *, key: str, subject: dict[str, Any]
) -> dict[str, Any]:
    internal = bool(getattr(event, "is_internal", False))
    return {
        "event_type": event.type,
        "event_key": key,
        "occurred_at": event.created_at,
        "internal": internal,
        "data": {
            "event": {
                "id": event.pk,
                "type": event.type,
                "actor": event.actor_name,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "reason": event.reason,
                "internal": internal,
                "details": event.payload,
            },
            **subject,
        },
    }


def _incident_summary(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "ref": incident.ref,
        "title": incident.title,
        "status": incident.status,
        "priority": incident.priority,
        "team_id": incident.team_id,
        "assignee_id": incident.assignee_id,
        "requester_id": incident.requester_id,
        "url": f"{settings.SITE_URL}/api/v1/incidents/{incident.pk}/",
    }


def _problem_summary(problem: Problem) -> dict[str, Any]:
    return {
        "id": problem.pk,
        "ref": problem.ref,
        "title": problem.title,
        "status": problem.status,
        "url": f"{settings.SITE_URL}/api/v1/problems/{problem.pk}/",
    }
