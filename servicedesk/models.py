"""Kernel models: abstract bases shared by apps, and the worker heartbeat behind /healthz."""

from typing import Any

from django.db import models

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
