"""Thin Celery tasks: the minute sweep (with folding the gate counters) and the nightly
ledger verification, which alerts (an ERROR log line, picked up by the alerting) on a break."""

import json
import logging
from typing import Any

from celery import shared_task

from . import counters, ledger, notifications, services
from .models import BypassEvent

log = logging.getLogger(__name__)


@shared_task(soft_time_limit=50, time_limit=55)
def bypass_sweep_task() -> dict[str, int]:
    done = services.bypass_sweep()
    done["counters_folded"] = counters.fold()
    return done


@shared_task(soft_time_limit=1800, time_limit=1900)
def bypass_ledger_verify_task() -> dict[str, Any]:
    result = ledger.verify()
    if not result.ok:
        log.error(
            "Bypass ledger verification FAILED at entry %s: %s",
            result.broken_seq,
            result.problem,
        )
    else:
        log.info("Bypass ledger verified: %s entries, head %s", result.length, result.head)
    return result.as_dict()


@shared_task(
    soft_time_limit=25,
    time_limit=30,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
    acks_late=True,
)
def bypass_notify_task(seq: int) -> int:
    """Tell the approvers about a reminder or an escalation (ledger entry ``seq``): in-app and
    by e-mail. Once per entry: the notifications' key makes a rerun write and send nothing."""
    from notifications.services import notification_deliver

    event = BypassEvent.objects.select_related("request__requester").filter(seq=seq).first()
    if event is None:
        return 0
    payload = json.loads(event.body).get("payload") or {}
    messages = notifications.messages_for(event, payload)
    return notification_deliver(messages=messages, key=notifications.notify_key(seq))
