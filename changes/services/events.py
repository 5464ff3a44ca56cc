"""Event rows, written only here and only by services, in the service's transaction. Side
effects (e-mail) are handed to the broker on commit, as the incidents app does."""

from typing import Any

from changes.models import Change, ChangeEvent
from servicedesk import clock, outbox


def change_event(
    change: Change,
    type: str,
    *,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
    notify: bool = False,
) -> ChangeEvent:
    event = ChangeEvent.objects.create(
        change=change,
        type=type,
        actor=actor,
        actor_name=actor.name,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        payload=payload or {},
        created_at=clock.now(),
    )
    if notify and not clock.is_pinned():
        from changes.tasks import change_notify_task, notify_key

        outbox.enqueue(change_notify_task, args=[event.pk], key=notify_key(event.pk))
    return event
