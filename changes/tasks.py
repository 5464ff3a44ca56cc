"""Thin tasks: ids in, one service or send out."""

from typing import Any

from celery import shared_task

from servicedesk import outbox

from . import notifications, services
from .models import ChangeEvent


def notify_key(event_id: int) -> str:
    return f"change-notify:{event_id}"


@shared_task(**outbox.DELIVERY_TASK)
def change_notify_task(self: Any, event_id: int) -> int:
    """Send the e-mail for one change event. Returns the number of recipients. Once per event
    (``outbox.once``): a redelivered or retried message finds the work done."""
    with outbox.once(notify_key(event_id)) as first:
        if not first:
            return 0
        event = (
            ChangeEvent.objects.select_related("change__requester", "change__implementer")
            .filter(pk=event_id)
            .first()
        )
        if event is None:
            return 0
        message = notifications.build(event)
        if message is None:
            return 0
        message.send(fail_silently=False)
        return len(message.to)


@shared_task(bind=True, time_limit=120, soft_time_limit=100, acks_late=True)
def change_chase_documentation_task(self: Any, batch: int = 200) -> int:
    """Chase emergency changes whose deferred documentation is overdue, a bounded batch at a
    time; a full batch records the next one in the outbox. Idempotent: a chased change no
    longer matches the sweep, and the follow-up's key is this run's id."""
    chased = services.change_chase_documentation_due(batch=batch)
    if chased == batch:
        outbox.enqueue(
            change_chase_documentation_task,
            args=[batch],
            key=f"change-chase:{self.request.id or 'local'}",
        )
    return chased
