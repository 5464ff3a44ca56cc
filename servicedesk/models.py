"""Kernel models: abstract bases shared by apps, the worker heartbeat behind /healthz, stored
Idempotency-Keys, and the transactional outbox with its record of work done."""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import clock


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class WorkerHeartbeat(models.Model):
    """Last time a Celery worker ran the beat-scheduled heartbeat task (one row per hostname)."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ClockedUpdatedAt(models.DateTimeField):
    """``auto_now`` on the service clock: history recorded under ``clock.at`` (imports, demo
    data) keeps the time it happened instead of the time it was written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", clock.now)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = clock.now()
        setattr(model_instance, self.attname, value)
        return value


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` on a POST: reserved while the first request runs, then
    holding its successful response for replay. Kept 24 hours (``IDEMPOTENCY_KEY_TTL``)."""

    class State(models.TextChoices):
        IN_PROGRESS = "in-progress", "In progress"
        DONE = "done", "Done"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    """Work a service wants done, recorded in the service's own transaction and handed to the
    broker by the relay (``servicedesk.outbox``). The ``key`` makes enqueueing idempotent: the
    same work recorded twice is one row, hence one task."""

    key = models.CharField(max_length=200, unique=True)
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    available_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    task_id = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["available_at", "id"]
        indexes = [
            models.Index(fields=["status", "available_at"], name="outbox_due_idx"),
            models.Index(fields=["status", "created_at"], name="outbox_age_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task} [{self.key}] {self.status}"


class TaskRun(models.Model):
    """One row per piece of work done: a task that finds its key here has nothing left to do.
    Written in the same transaction as the work (``servicedesk.outbox.once``)."""

    key = models.CharField(max_length=200, unique=True)
    done_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key
