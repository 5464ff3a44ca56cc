"""Event rows, written only here and only by services, in the service's transaction; the
notices they cause leave through the notifications app's one dispatch point (the outbox)."""

from typing import Any

from notifications.dispatch import schedule

from ..models import Improvement, ImprovementEvent


def notify_key(event_id: int) -> str:
    return f"improvement-notify:{event_id}"


def improvement_event(
    improvement: Improvement,
    type: str,
    *,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
    notify: bool = False,
) -> ImprovementEvent:
    event = ImprovementEvent.objects.create(
        improvement=improvement,
        type=type,
        actor=actor,
        actor_name=actor.name,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        payload=payload or {},
    )
    if notify:
        from ..tasks import improvement_notify_task

        schedule(improvement_notify_task, event.pk, key=notify_key(event.pk))
    return event
