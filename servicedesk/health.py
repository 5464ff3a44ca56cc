"""Checks behind /healthz: database, broker, the freshest worker heartbeat and the outbox."""

import time
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import outbox
from .celery import app
from .models import WorkerHeartbeat


@dataclass
class Check:
    ok: bool
    detail: str
    ms: float


def _timed(fn: Any) -> Check:
    start = time.perf_counter()
    try:
        ok, detail = fn()
    except Exception as exc:  # a health check reports failures, it does not raise them
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return Check(ok=ok, detail=detail, ms=round((time.perf_counter() - start) * 1000, 1))


def _database() -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, connection.vendor


def _broker() -> tuple[bool, str]:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return True, conn.transport_cls if isinstance(conn.transport_cls, str) else "connected"


def _worker() -> tuple[bool, str]:
    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    if latest is None:
        return False, "no worker heartbeat yet"
    age = timezone.now() - latest.seen_at
    ok = age <= settings.WORKER_HEARTBEAT_MAX_AGE
    return ok, f"{latest.hostname} seen {int(age.total_seconds())}s ago"


def _outbox(figures: dict[str, Any]) -> tuple[bool, str]:
    """Work recorded but not handed to the broker: stuck (pending past OUTBOX_STUCK_AFTER) or
    failed (cannot be published; retry it from the admin)."""
    b = outbox.backlog()
    figures.update(b)
    detail = (
        f"{b['pending']} pending, {b['stuck']} stuck, {b['failed']} failed; "
        f"oldest unsent {b['oldest_age_seconds']}s old"
    )
    return b["stuck"] == 0 and b["failed"] == 0, detail


def run_checks() -> dict[str, Any]:
    """``down`` (HTTP 503) when the database or broker fails; ``degraded`` when only the
    worker heartbeat is stale or the outbox has stuck or failed work (pages still work,
    background work lags); else ``ok``. The outbox's figures are also given as numbers."""
    figures: dict[str, Any] = {}
    checks = {
        "database": _timed(_database),
        "broker": _timed(_broker),
        "worker": _timed(_worker),
        "outbox": _timed(lambda: _outbox(figures)),
    }
    if not (checks["database"].ok and checks["broker"].ok):
        status = "down"
    elif not (checks["worker"].ok and checks["outbox"].ok):
        status = "degraded"
    else:
        status = "ok"
    return {
        "status": status,
        "checks": {name: asdict(c) for name, c in checks.items()},
        "outbox": figures,
    }
