"""Thin tasks: ids in, one service or send out."""

from typing import Any

from celery import shared_task

from notifications.services import notification_deliver

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
    """Tell the people one incident event concerns, in-app and by the e-mail they chose
    (queue: notifications). Idempotent: a second run writes and sends nothing. Returns the
    e-mails sent."""
    event = (
        IncidentEvent.objects.select_related(
            "actor", "incident__requester", "incident__assignee", "incident__team"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    return notification_deliver(
        messages=notifications.messages_for(event), key=f"incident-event:{event.pk}"
    )


@shared_task(time_limit=300, soft_time_limit=280, acks_late=True)
def incident_autoclose_task(batch: int = 200) -> int:
    """Close resolved incidents past the confirmation period, a bounded batch at a time.
    Idempotent: a closed incident no longer matches the sweep."""
    closed = services.incident_autoclose_due(batch=batch)
    if closed == batch:
        incident_autoclose_task.delay(batch)
    return closed
