"""The time services record. Normally the real clock; ``clock.at(moment)`` pins it inside a
block, for importing history from another tool or building demo data with a realistic past.
Tests use time-machine instead."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_pinned: ContextVar[datetime | None] = ContextVar("servicedesk_clock", default=None)


def now() -> datetime:
    return _pinned.get() or timezone.now()


@contextmanager
def at(moment: datetime) -> Iterator[datetime]:
    if timezone.is_naive(moment):
        raise ValueError("clock.at needs an aware datetime")
    token = _pinned.set(moment)
    try:
        yield moment
    finally:
        _pinned.reset(token)


def is_pinned() -> bool:
    """True inside ``clock.at``: what is recorded there is history, and nobody is notified."""
    return _pinned.get() is not None
