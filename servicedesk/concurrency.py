"""Optimistic locking: an object's version tag (the API's ``ETag``) and the ``If-Match``
expectation a request carries into the service's locked transaction.

The API layer registers what the client expects (``expecting``) before it calls a service; the
service's row-lock helper calls ``check_locked(row)`` right after ``select_for_update``, so the
comparison happens under the lock: a write based on a stale read is refused with 412 even
when another write slipped in between the API's read and the service's lock.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.db import models

from .errors import PreconditionFailed

_expected: ContextVar[dict[tuple[str, int], frozenset[str]] | None] = ContextVar(
    "servicedesk_if_match", default=None
)

STALE_MESSAGE = (
    "{ref} has changed since you read it (it is now at version {current}). Fetch it again, "
    "check the change, and retry with the new ETag in If-Match."
)


def version_tag(pk: Any, updated_at: datetime) -> str:
    """The strong ETag of an object's current version: it changes with every save."""
    stamp = updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    digest = hashlib.sha256(f"{pk}:{stamp}".encode()).hexdigest()[:20]
    return f'"{digest}"'


def tag_of(obj: models.Model) -> str | None:
    updated_at = getattr(obj, "updated_at", None)
    return version_tag(obj.pk, updated_at) if isinstance(updated_at, datetime) else None


def parse_if_match(header: str | None) -> frozenset[str] | None:
    """``If-Match: "a", "b"`` → the set of tags (``*`` matches any). Weak tags never match
    (RFC 9110 uses the strong comparison for If-Match)."""
    if header is None or not header.strip():
        return None
    return frozenset(part.strip() for part in header.split(",") if part.strip())


def matches(tags: frozenset[str], current: str | None) -> bool:
    return "*" in tags or (current is not None and current in tags)


def _label(obj: models.Model) -> str:
    return obj._meta.label_lower


def refuse_if_stale(obj: models.Model, tags: frozenset[str]) -> None:
    current = tag_of(obj)
    if not matches(tags, current):
        ref = getattr(obj, "ref", None) or f"{obj._meta.verbose_name} {obj.pk}"
        raise PreconditionFailed(
            STALE_MESSAGE.format(ref=ref, current=current),
            details={"if_match": sorted(tags), "current_etag": current},
        )


@contextmanager
def expecting(obj: models.Model, tags: frozenset[str]) -> Iterator[None]:
    """Within the block, the service that locks ``obj``'s row refuses a stale version."""
    table = dict(_expected.get() or {})
    table[(_label(obj), obj.pk)] = tags
    token = _expected.set(table)
    try:
        yield
    finally:
        _expected.reset(token)


def expect(obj: models.Model, tags: frozenset[str]) -> Any:
    """Like ``expecting`` but for the rest of the request; returns the token to reset."""
    table = dict(_expected.get() or {})
    table[(_label(obj), obj.pk)] = tags
    return _expected.set(table)


def reset(token: Any) -> None:
    _expected.reset(token)


def check_locked(row: models.Model) -> None:
    """Call right after locking ``row``: refuses with 412 if the request expected another
    version. The expectation is consumed, so the service may save and lock again."""
    table = _expected.get()
    if not table:
        return
    tags = table.get((_label(row), row.pk))
    if tags is None:
        return
    remaining = {key: value for key, value in table.items() if key != (_label(row), row.pk)}
    _expected.set(remaining)
    refuse_if_stale(row, tags)
