"""Every gate evaluation is counted (the denominators of the bypass metrics) without a
database write on the hot path: a Redis ``HINCRBY`` per evaluation, outside the caller's
transaction (so a refusal that rolls the transaction back is still counted), folded into
``GateCounter`` rows by the minute sweep. Without Redis the count goes straight into the
table with one set-wise upsert after the commit (then a refusal whose transaction rolls back
is not counted)."""

import logging
import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from servicedesk import clock

from .models import GateCounter

log = logging.getLogger(__name__)
PREFIX = "bypass:gates:"
FIELDS = ("evaluations", "blocked", "bypassed")
_client_cache: dict[str, Any] = {}


def _client() -> Any:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    if url not in _client_cache:
        import redis

        _client_cache[url] = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5
        )
    return _client_cache[url]


def bump(gate_id: str, *, blocked: bool = False, bypassed: bool = False, times: int = 1) -> None:
    """Count ``times`` evaluations of the gate (a set-wise sweep counts its batch at once)."""
    if times < 1:
        return
    day = clock.now().date()
    increments = {
        "evaluations": times,
        "blocked": times * int(blocked),
        "bypassed": times * int(bypassed),
    }
    client = _client()
    if client is not None:
        try:
            key = f"{PREFIX}{day.isoformat()}"
            pipe = client.pipeline(transaction=False)
            for name, n in increments.items():
                if n:
                    pipe.hincrby(key, f"{gate_id}|{name}", n)
            pipe.expire(key, 8 * 86400)
            pipe.execute()
            return
        except Exception:  # a counter never fails the gate
            log.warning("gate counter: Redis unavailable, counting in the database")
    # No Redis: one set-wise upsert after the caller's transaction commits (so the hot path
    # adds no query inside it; a refusal whose transaction rolls back is then not counted).
    transaction.on_commit(lambda: _upsert({(gate_id, day): increments}))


def _upsert(rows: dict[tuple[str, date], dict[str, int]]) -> None:
    table = GateCounter._meta.db_table
    # The table name is the model's, never input.
    sql = (
        f"INSERT INTO {table} (gate_id, day, evaluations, blocked, bypassed) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (gate_id, day) DO UPDATE SET "
        f"evaluations = {table}.evaluations + excluded.evaluations, "
        f"blocked = {table}.blocked + excluded.blocked, "
        f"bypassed = {table}.bypassed + excluded.bypassed"
    )
    with connection.cursor() as cursor:
        for (gate_id, day), n in sorted(rows.items()):
            cursor.execute(
                sql,
                [gate_id, day, n.get("evaluations", 0), n.get("blocked", 0), n.get("bypassed", 0)],
            )


def fold() -> int:
    """Move the Redis counts into ``GateCounter``. Each day's hash is renamed first (atomic),
    so increments arriving meanwhile start a new hash and none is counted twice. Returns the
    number of (gate, day) rows touched."""
    client = _client()
    if client is None:
        return 0
    touched = 0
    for raw in list(client.scan_iter(match=f"{PREFIX}*", count=100)):
        key = raw.decode()
        rest = key[len(PREFIX) :]
        if rest.startswith("folding:"):
            folding, day_text = key, rest.split(":")[2]
        else:
            day_text = rest
            folding = f"{PREFIX}folding:{day_text}:{uuid.uuid4().hex}"
            try:
                client.rename(key, folding)
            except Exception:  # gone meanwhile (another worker folded it)
                log.debug("gate counter %s already folded", key)
                continue
        day = date.fromisoformat(day_text)
        rows: dict[tuple[str, date], dict[str, int]] = {}
        for field_raw, value in client.hgetall(folding).items():
            gate_id, _, name = field_raw.decode().rpartition("|")
            if name in FIELDS:
                rows.setdefault((gate_id, day), {})[name] = int(value)
        with transaction.atomic():
            _upsert(rows)
        client.delete(folding)
        touched += len(rows)
    return touched


def counts(gate_id: str) -> dict[str, int]:
    """Totals for a gate: folded rows plus what Redis still holds."""
    totals = dict.fromkeys(FIELDS, 0)
    for row in GateCounter.objects.filter(gate_id=gate_id).values(*FIELDS):
        for name in FIELDS:
            totals[name] += row[name]
    client = _client()
    if client is not None:
        for raw in client.scan_iter(match=f"{PREFIX}*", count=100):
            for name in FIELDS:
                value = client.hget(raw, f"{gate_id}|{name}")
                totals[name] += int(value or 0)
    return totals
