"""Kernel models: abstract bases shared by apps, and the worker heartbeat behind /healthz."""

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
