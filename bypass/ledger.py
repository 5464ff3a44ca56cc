"""The hash-chained ledger of bypass facts.

Appending takes a transaction-scoped lock (a PostgreSQL advisory lock; SQLite serialises
writers anyway), reads the head, assigns ``seq = head + 1`` and computes
``hash = SHA-256("byp-ledger:v1\\n" + prev_hash + "\\n" + body)`` where ``body`` is the entry's
canonical JSON (sorted keys, no spaces, strings and integers only) including its own ``seq``,
type, request ref, actor id and time. The application never supplies ``prev_hash``.

``verify`` recomputes the chain: a changed, deleted, inserted or reordered entry breaks it at
that point. A checkpoint ``(length, head hash)`` held elsewhere proves later that the ledger
only grew (``verify(against=...)``).
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from servicedesk import clock

from .models import BypassEvent, BypassRequest

GENESIS = "0" * 64
PREFIX = "byp-ledger:v1"
LOCK_KEY = 0x6279705F6C6467  # "byp_ldg"


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256(f"{PREFIX}\n{prev_hash}\n{body}".encode()).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f%z")


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def append(
    type: str,
    *,
    request: BypassRequest | None,
    actor: Any,
    payload: dict[str, Any] | None = None,
    from_state: str = "",
    to_state: str = "",
) -> BypassEvent:
    """Append one fact. Must run inside the caller's transaction (the service's)."""
    if not connection.in_atomic_block:
        raise RuntimeError("ledger.append runs inside the service's transaction")
    _lock()
    head = BypassEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
    now = clock.now()
    entry = {
        "v": 1,
        "seq": seq,
        "type": type,
        "request": request.ref if request is not None else None,
        "actor": actor.pk if actor is not None else None,
        "from": from_state,
        "to": to_state,
        "at": _stamp(now),
        "payload": payload or {},
    }
    body = canonical(entry)
    event = BypassEvent.objects.create(
        seq=seq,
        request=request,
        type=type,
        actor=actor,
        actor_name=actor.name if actor is not None else "",
        from_state=from_state,
        to_state=to_state,
        body=body,
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, body),
        created_at=now,
    )
    if request is not None:
        BypassRequest.objects.filter(pk=request.pk).update(last_event_seq=seq)
        request.last_event_seq = seq
    return event


@dataclass(frozen=True)
class Result:
    ok: bool
    length: int
    head: str
    broken_seq: int | None = None
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "length": self.length,
            "head": self.head,
            "broken_seq": self.broken_seq,
            "problem": self.problem,
        }


def _rows() -> Iterator[tuple[int, str, str, str]]:
    yield from (
        BypassEvent.objects.order_by("seq")
        .values_list("seq", "body", "prev_hash", "hash")
        .iterator(chunk_size=2000)
    )


def verify(*, against: tuple[int, str] | None = None) -> Result:
    """Recompute the whole chain; report the first broken entry. With ``against`` (a saved
    checkpoint), also prove that the entry at that length still has that hash."""
    expected_seq, prev = 1, GENESIS
    checkpoint_seen = against is None or against[0] == 0
    if against is not None and against[0] == 0 and against[1] not in ("", GENESIS):
        return Result(False, 0, GENESIS, 0, "A checkpoint of length 0 has the genesis hash.")
    for seq, body, stored_prev, stored_hash in _rows():
        if seq != expected_seq:
            what = "missing" if seq > expected_seq else "duplicated or out of order"
            return Result(False, expected_seq - 1, prev, expected_seq, f"Entry {what}.")
        if stored_prev != prev:
            return Result(False, seq - 1, prev, seq, "Its previous hash does not match.")
        try:
            parsed = json.loads(body)
        except ValueError:
            return Result(False, seq - 1, prev, seq, "Its body is not JSON.")
        if not isinstance(parsed, dict) or parsed.get("seq") != seq or canonical(parsed) != body:
            return Result(False, seq - 1, prev, seq, "Its body is not canonical for its place.")
        if chain_hash(prev, body) != stored_hash:
            return Result(False, seq - 1, prev, seq, "Its hash does not match its content.")
        prev = stored_hash
        if against is not None and seq == against[0]:
            if stored_hash != against[1]:
                return Result(
                    False, seq, prev, seq, "The checkpoint's hash differs: history was rewritten."
                )
            checkpoint_seen = True
        expected_seq += 1
    length = expected_seq - 1
    if not checkpoint_seen:
        return Result(
            False, length, prev, None, "The ledger is shorter than the checkpoint: entries lost."
        )
    return Result(True, length, prev)


def checkpoint() -> tuple[int, str]:
    head = BypassEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    return (head[0], head[1]) if head else (0, GENESIS)


def receipt(event: BypassEvent | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {"seq": event.seq, "hash": event.hash}


def parse_checkpoint(text: str) -> tuple[int, str]:
    """``LENGTH:HASH`` → (length, hash), or ``ValueError``."""
    length, sep, digest = text.partition(":")
    if not sep or not length.isdigit() or len(digest) != 64:
        raise ValueError("A checkpoint is LENGTH:HASH (a number, a colon, 64 hex digits).")
    int(digest, 16)
    return int(length), digest.lower()
