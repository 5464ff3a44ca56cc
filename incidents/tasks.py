"""Thin tasks: ids in, one service or send out."""

from typing import Any

from celery import shared_task

from . import notifications, services
from .models import IncidentEvent


@shared_task(
    bind=True,
    time_limit=30,
    soft_time_limit=25,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def incident_notify_task(self: Any, event_id: int) -> int:
    """Send the e-mail for one public event (queue: notifications). Returns recipients."""
    event = IncidentEvent.objects.select_related("incident__requester").filter(pk=event_id).first()
    if event is None:
        return 0
    message = notifications.build(event)
    if message is None:
        return 0
    message.send(fail_silently=False)
    return len(message.to)


@shared_task(time_limit=300, soft_time_limit=280, acks_late=True)
def incident_autoclose_task(batch: int = 200) -> int:
    """Close resolved incidents past the confirmation period, a bounded batch at a time.
    Idempotent: a closed incident no longer matches the sweep."""
    closed = services.incident_autoclose_due(batch=batch)
    if closed == batch:
        incident_autoclose_task.delay(batch)
    return closed
