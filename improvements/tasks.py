"""Thin tasks: ids in, one service or one delivery out. Each is idempotent."""

from typing import Any

from celery import shared_task

from notifications.services import notification_deliver
from servicedesk import outbox

from . import notifications, services
from .models import ImprovementEvent, ProcessDebt


@shared_task(**outbox.DELIVERY_TASK)
def improvement_notify_task(self: Any, event_id: int) -> int:
    """Tell the people an improvement event concerns (suggester, voters, owners). Returns the
    e-mails sent; once delivered, a redelivery does nothing."""
    key = f"improvement-notify:{event_id}"
    if outbox.has_run(key):
        return 0
    event = (
        ImprovementEvent.objects.select_related("improvement__suggested_by", "improvement__owner")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    sent = notification_deliver(
        messages=notifications.messages_for(event), key=f"improvement-event:{event.pk}"
    )
    outbox.record_run(key)
    return sent


@shared_task(**outbox.DELIVERY_TASK)
def process_debt_notify_task(self: Any, debt_id: int) -> int:
    """Tell the gate's owners that process debt was raised (once per item)."""
    key = f"process-debt-notify:{debt_id}"
    if outbox.has_run(key):
        return 0
    row = ProcessDebt.objects.filter(pk=debt_id).first()
    if row is None:
        return 0
    sent = notification_deliver(
        messages=notifications.debt_messages(row), key=f"process-debt:{row.pk}"
    )
    outbox.record_run(key)
    return sent


@shared_task(bind=True, time_limit=120, soft_time_limit=100, acks_late=True)
def process_debt_sweep_task(self: Any) -> dict[str, int]:
    """Raise process debt from what the bypass ledger recorded since the last sweep."""
    return services.debt_sweep()


@shared_task(**outbox.DELIVERY_TASK)
def improvement_feed_task(self: Any, source: str, object_id: int, actor_id: int, **kw: Any) -> int:
    """Feed the register from a bypass review, a resolved problem or a reviewed change.
    Idempotent: each source feeds it once (unique ``source_key``)."""
    if source == "bypass_review":
        row = services.improvement_from_bypass_review(
            request_id=object_id,
            reviewer_id=actor_id,
            outcome=str(kw.get("outcome", "")),
            misfit=str(kw.get("misfit", "")),
            proposal=str(kw.get("proposal", "")),
        )
    elif source == "problem":
        row = services.improvement_from_problem(problem_id=object_id, actor_id=actor_id)
    elif source == "change_review":
        row = services.improvement_from_change_review(change_id=object_id, actor_id=actor_id)
    else:
        return 0
    return row.pk if row is not None else 0
