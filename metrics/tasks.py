"""Thin tasks on the ``metrics`` queue: rebuild the rollups."""

from datetime import date
from typing import Any

from celery import shared_task

from . import services


@shared_task(soft_time_limit=240, time_limit=280)
def metrics_rollup_sweep_task() -> list[str]:
    """Rebuild every day whose incidents changed since the last rebuild (beat, hourly)."""
    return [d.isoformat() for d in services.rollup_sweep()]


@shared_task(soft_time_limit=240, time_limit=280)
def metrics_rollup_rebuild_task(day: str) -> dict[str, Any]:
    """Rebuild one past day (idempotent)."""
    return {"day": day, "incidents": services.rollup_rebuild_day(day=date.fromisoformat(day))}
