"""Thin tasks: ids in, one service or send out. Each is idempotent: redelivery does no harm."""

from typing import Any

from celery import shared_task

from notifications.services import notification_deliver
from servicedesk import outbox

from . import notifications, services
from .models import Escalation, IncidentEvent
from .services.autoclose import AUTOCLOSE_BATCH


def notify_key(event_id: int) -> str:
    return f"incident-notify:{event_id}"


@shared_task(**outbox.DELIVERY_TASK)
def incident_notify_task(self: Any, event_id: int) -> int:
    """Tell the people one incident event concerns, in-app and by the e-mail they chose
    (queue: notifications). Returns the e-mails sent. Idempotent per event: each notice is
    written once (unique per person and cause) and e-mailed once (``emailed_at``), each step
    committing on its own, so a retry after a failed send resumes with the e-mails not yet sent;
    once all is delivered the event's key is recorded and a redelivered message does nothing."""
    key = notify_key(event_id)
    if outbox.has_run(key):
        return 0
    event = (
        IncidentEvent.objects.select_related(
            "actor", "incident__requester", "incident__assignee", "incident__team"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    sent = notification_deliver(
        messages=notifications.messages_for(event), key=f"incident-event:{event.pk}"
    )
    outbox.record_run(key)
    return sent


@shared_task(bind=True, time_limit=120, soft_time_limit=100, acks_late=True)
def incident_autoclose_task(self: Any, batch: int = AUTOCLOSE_BATCH) -> int:
    """Close resolved incidents past the confirmation period, a bounded batch at a time; a full
    batch records the next one in the outbox. Idempotent: a closed incident no longer matches
    the sweep, and the follow-up's key is this run's id."""
    closed = services.incident_autoclose_due(batch=batch)
    if closed == batch:
        outbox.enqueue(
            incident_autoclose_task,
            args=[batch],
            key=f"incident-autoclose:{self.request.id or 'local'}",
        )
    return closed


def escalation_notify_key(escalation_id: int) -> str:
    return f"incident-escalation-notify:{escalation_id}"


@shared_task(**outbox.DELIVERY_TASK)
def incident_escalation_notify_task(self: Any, escalation_id: int) -> int:
    """Tell the people an escalation level names (queue: notifications). Idempotent like
    ``incident_notify_task``: once delivered, the key is recorded and a redelivery does nothing."""
    key = escalation_notify_key(escalation_id)
    if outbox.has_run(key):
        return 0
    escalation = (
        Escalation.objects.select_related("incident__team", "rule").filter(pk=escalation_id).first()
    )
    if escalation is None:
        return 0
    sent = notification_deliver(
        messages=notifications.escalation_messages(escalation),
        key=f"incident-escalation:{escalation.pk}",
    )
    outbox.record_run(key)
    return sent


@shared_task(bind=True, time_limit=120, soft_time_limit=100, acks_late=True)
def incident_sla_escalate_task(self: Any, batch: int = 200) -> int:
    """Record SLA breaches and apply escalation levels that fell due (queue: escalation), a
    bounded batch at a time; a full batch records the next one in the outbox. Safe on several
    workers at once (rows another holds are skipped) and after a crash (each level's unique
    row)."""
    from .services.escalation import sla_sweep

    result = sla_sweep(batch=batch)
    if result.checked == batch:
        outbox.enqueue(
            incident_sla_escalate_task,
            args=[batch],
            key=f"incident-sla-sweep:{self.request.id or 'local'}",
        )
    return result.escalations


@shared_task(bind=True, time_limit=60, soft_time_limit=50, acks_late=True)
def incident_route_task(self: Any, incident_id: int) -> list[str]:
    """Run the enabled routing rules for one incident and apply the decision (queue: routing).
    Idempotent by state: what already holds is not done again, so a redelivered message (or a
    second cause recorded for the same incident) changes nothing. Returns what changed."""
    from .services.routing import incident_route

    result = incident_route(incident_id=incident_id)
    return result.changed if result else []
