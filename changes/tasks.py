"""Thin tasks: ids in, one service or send out."""

from typing import Any

from celery import shared_task

from . import notifications, services
from .models import ChangeEvent


@shared_task(
    bind=True,
    time_limit=30,
    soft_time_limit=25,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def change_notify_task(self: Any, event_id: int) -> int:
    """Send the e-mail for one change event. Returns the number of recipients."""
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


@shared_task(time_limit=300, soft_time_limit=280, acks_late=True)
def change_chase_documentation_task(batch: int = 200) -> int:
    """Chase emergency changes whose deferred documentation is overdue, a bounded batch at a
    time. Idempotent: a chased change no longer matches the sweep."""
    chased = services.change_chase_documentation_due(batch=batch)
    if chased == batch:
        change_chase_documentation_task.delay(batch)
    return chased
