"""The transactional outbox: the one way work reaches Celery.

A service calls ``enqueue(task, args=..., key=...)`` inside its transaction. The row commits
with the change it belongs to, or not at all, so a broker outage can delay work but never lose
it, and a web request never fails or waits because of the broker:

* **on commit** the relay tries to publish what this transaction recorded, best effort, on a
  connection with short timeouts and no retries; after a failure it leaves the broker alone for
  ``OUTBOX_BREAKER_SECONDS`` (the sweep catches up);
* **the sweep** (``outbox_relay_task``, every few seconds from beat) publishes what is due, in
  bounded batches locked with ``SKIP LOCKED`` so several sweepers never publish the same row,
  retrying with exponential backoff.

Publishing and marking sent are not atomic (nothing spanning a broker and a database is), so a
message may be published twice; tasks are therefore idempotent by key, with ``once(key)``
(a ``TaskRun`` row written in the same transaction as the work) or with state checks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from .models import OutboxMessage, OutboxStatus, TaskRun

logger = logging.getLogger(__name__)

# A connection for the relay: fail fast, never retry inside a request.
RELAY_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_connect_timeout": 1.0,
    "socket_timeout": 2.0,
}

_breaker_until = {"at": 0.0}


#: The Celery options of a task the outbox delivers to: bounded in time, acknowledged only after
#: it ran, retried with backoff on network errors (a redelivery is harmless: each such task is
#: idempotent). ``@shared_task(**outbox.DELIVERY_TASK)``.
DELIVERY_TASK: dict[str, Any] = {
    "bind": True,
    "time_limit": 30,
    "soft_time_limit": 25,
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


def task_name(task: Any) -> str:
    return task if isinstance(task, str) else str(task.name)


def enqueue(
    task: Any,
    *,
    key: str,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    delay: timedelta | None = None,
    at: datetime | None = None,
) -> OutboxMessage:
    """Record ``task(*args, **kwargs)`` to run once the surrounding transaction commits.

    ``key`` names the work (``incident-notify:42``): recording the same key again is a no-op and
    returns the existing row. ``args``/``kwargs`` must be JSON values (ids, not objects).
    ``delay`` or ``at`` holds it back until then (the sweep publishes it when due).
    """
    if not key or len(key) > 200:
        raise ValueError("An outbox key is required and at most 200 characters long.")
    now = timezone.now()
    due = at or (now + delay if delay else now)
    message, created = OutboxMessage.objects.get_or_create(
        key=key,
        defaults={
            "task": task_name(task),
            "args": list(args),
            "kwargs": kwargs or {},
            "available_at": due,
        },
    )
    if created and due <= now:
        transaction.on_commit(lambda: relay_on_commit([message.pk]))
    return message


def enqueue_many(task: Any, items: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """``enqueue(task, key=key, args=args)`` for each ``(key, args)``, in two queries (a key
    already recorded stays as it is)."""
    if not items:
        return
    for key, _args in items:
        if not key or len(key) > 200:
            raise ValueError("An outbox key is required and at most 200 characters long.")
    now = timezone.now()
    name = task_name(task)
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(key=key, task=name, args=list(args), kwargs={}, available_at=now)
            for key, args in items
        ],
        ignore_conflicts=True,
    )
    ids = list(
        OutboxMessage.objects.filter(
            key__in=[key for key, _args in items], status=OutboxStatus.PENDING
        ).values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: relay_on_commit(ids))


def relay_on_commit(ids: list[int]) -> None:
    """Best effort, right after the commit. Never raises and never waits on a broker that has
    just failed: the request that recorded the work has already succeeded."""
    if time.monotonic() < _breaker_until["at"]:
        return
    try:
        relay(ids=ids)
    except Exception:  # the sweep will publish it; a request must not fail for this
        logger.exception("outbox: relay on commit failed; the sweep will retry")


def relay(*, ids: list[int] | None = None, batch: int | None = None) -> int:
    """Publish due pending messages (these ``ids``, or the oldest due ``batch``). Returns how many
    were published. Rows are locked with SKIP LOCKED: a row another relay holds is skipped."""
    batch = batch or settings.OUTBOX_BATCH
    now = timezone.now()
    published = 0
    with transaction.atomic():
        rows = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            status=OutboxStatus.PENDING, available_at__lte=now
        )
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        messages = list(rows.order_by("available_at", "id")[:batch])
        if not messages:
            return 0
        from .celery import app

        if app.conf.task_always_eager:
            for message in messages:
                _mark_sent(message, now)
            transaction.on_commit(lambda: _run_eagerly(messages))
            return len(messages)
        with app.connection_for_write(transport_options=RELAY_TRANSPORT_OPTIONS) as conn:
            transient: tuple[type[BaseException], ...] = (
                *conn.connection_errors,
                OperationalError,
                OSError,
            )
            for index, message in enumerate(messages):
                try:
                    app.send_task(
                        message.task,
                        args=message.args,
                        kwargs=message.kwargs,
                        task_id=str(message.task_id),
                        connection=conn,
                        retry=False,
                        ignore_result=True,
                    )
                except transient as exc:
                    # The broker is away: back off every message of this batch still unsent.
                    _breaker_until["at"] = time.monotonic() + settings.OUTBOX_BREAKER_SECONDS
                    for waiting in messages[index:]:
                        _back_off(waiting, now, exc)
                    logger.warning("outbox: broker unavailable (%s); will retry", exc)
                    break
                except Exception as exc:  # cannot be encoded or routed: retrying will not help
                    _fail(message, exc)
                    logger.exception("outbox: message %s failed", message.key)
                else:
                    _mark_sent(message, now)
                    published += 1
    return published


def _mark_sent(message: OutboxMessage, now: Any) -> None:
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.attempts += 1
    message.last_error = ""
    message.save(update_fields=["status", "sent_at", "attempts", "last_error"])


def _back_off(message: OutboxMessage, now: Any, exc: BaseException) -> None:
    message.attempts += 1
    seconds = min(2 ** min(message.attempts, 16), settings.OUTBOX_MAX_BACKOFF_SECONDS)
    message.available_at = now + timedelta(seconds=seconds)
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    message.save(update_fields=["attempts", "available_at", "last_error"])


def _fail(message: OutboxMessage, exc: BaseException) -> None:
    message.attempts += 1
    message.status = OutboxStatus.FAILED
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    message.save(update_fields=["attempts", "status", "last_error"])


def _run_eagerly(messages: list[OutboxMessage]) -> None:
    from .celery import app

    for message in messages:
        app.tasks[message.task].apply(args=message.args, kwargs=message.kwargs)


def outbox_retry(*, message: OutboxMessage) -> OutboxMessage:
    """Put a failed (or backed-off) message back in line now (the admin's "retry" action)."""
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if locked.status == OutboxStatus.SENT:
            return locked
        locked.status = OutboxStatus.PENDING
        locked.available_at = timezone.now()
        locked.save(update_fields=["status", "available_at"])
    transaction.on_commit(lambda: relay_on_commit([locked.pk]))
    return locked


def prune_sent(*, older_than: timedelta, batch: int = 1000) -> int:
    """Delete sent messages past their keep period, a bounded batch at a time."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.SENT, sent_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:batch]
    )
    deleted, _ = OutboxMessage.objects.filter(pk__in=ids).delete()
    return deleted


def backlog() -> dict[str, Any]:
    """What /healthz reports: messages not sent within ``OUTBOX_STUCK_AFTER`` and failed ones."""
    now = timezone.now()
    stuck = OutboxMessage.objects.filter(
        status=OutboxStatus.PENDING, created_at__lt=now - settings.OUTBOX_STUCK_AFTER
    )
    failed = OutboxMessage.objects.filter(status=OutboxStatus.FAILED)
    oldest = (
        OutboxMessage.objects.exclude(status=OutboxStatus.SENT)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return {
        "pending": OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count(),
        "stuck": stuck.count(),
        "failed": failed.count(),
        "oldest_age_seconds": int((now - oldest).total_seconds()) if oldest else 0,
    }


@contextmanager
def once(key: str) -> Iterator[bool]:
    """Run a task's work at most once per ``key``: yields ``True`` the first time (the body runs in
    a transaction that also records the key) and ``False`` when the work was already done. If the
    body raises, nothing is recorded and a retry or redelivery does the work. Two deliveries of
    the same key at the same moment serialise on the key's unique index."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                TaskRun.objects.create(key=key)
        except IntegrityError:
            yield False
            return
        yield True


def has_run(key: str) -> bool:
    """Whether the work named ``key`` is recorded as done (see ``once`` and ``record_run``)."""
    return TaskRun.objects.filter(key=key).exists()


def record_run(key: str) -> None:
    """Record the work named ``key`` as done, for a task that is idempotent by its own state
    step by step (each step commits on its own) rather than in one ``once`` transaction."""
    TaskRun.objects.get_or_create(key=key)


def warm_up() -> None:
    """Load the task registry and the broker transport's modules when a web process starts
    (seconds on a busy host), so the first request that relays work pays nothing extra."""
    from .celery import app

    try:
        app.loader.import_default_modules()
        app.finalize(auto=True)
        connection = app.connection_for_write()
        _ = connection.transport  # imports the transport (redis-py) without connecting
        connection.release()
    except Exception:  # a cold start is slower, never broken
        logger.warning("outbox: warm-up failed", exc_info=True)
