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
