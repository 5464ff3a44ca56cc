"""Kernel tasks: the health round trip and the heartbeat that beat schedules."""

from typing import Any

from celery import shared_task

from . import idempotency, services


@shared_task(bind=True, time_limit=10, soft_time_limit=8)
def health_ping_task(self: Any, value: str = "ping") -> dict[str, str]:
    """Answers with the value and the worker's name: proof that a worker took a message."""
    return {"value": value, "worker": str(self.request.hostname or "")}


@shared_task(bind=True, time_limit=10, soft_time_limit=8, acks_late=True)
def worker_heartbeat_task(self: Any) -> str:
    """Idempotent: records 'a worker was alive now' for /healthz."""
    hostname = str(self.request.hostname or "unknown")
    services.worker_heartbeat_record(hostname=hostname, task_id=str(self.request.id or ""))
    return hostname


@shared_task(time_limit=120, soft_time_limit=100, acks_late=True)
def idempotency_keys_expire_task() -> int:
    """Idempotent sweep: deletes Idempotency-Keys past their 24 hours, in bounded batches."""
    return idempotency.expire()


@shared_task(time_limit=60, soft_time_limit=50, acks_late=True)
def outbox_relay_task() -> int:
    """The outbox sweep (beat, every few seconds): publish what is due, a bounded batch at a
    time, and prune what was sent long ago. Idempotent: sent rows no longer match."""
    from django.conf import settings

    from . import outbox

    published = outbox.relay()
    outbox.prune_sent(older_than=settings.OUTBOX_KEEP_SENT)
    return published
