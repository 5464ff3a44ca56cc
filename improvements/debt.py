"""Process-debt rules as pure functions: which policy applies to a gate, and which window
period a day falls in."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

EPOCH = date(2000, 1, 3)  # a Monday: window periods are counted from here

# Bypass states that do not count as a bypass that happened.
NOT_BYPASSED = ("draft", "submitted", "in_review", "awaiting_requester", "rejected", "withdrawn")


def period_start(day: date, window_days: int) -> date:
    """The first day of the ``window_days``-long period holding ``day``: one debt item per
    pattern and period."""
    periods = (day - EPOCH).days // window_days
    return EPOCH + timedelta(days=periods * window_days)


def policy_for(gate_id: str, dimension: str, policies: Iterable[Any]) -> Any | None:
    """The gate's own active policy for the dimension, else the ``*`` one, else None."""
    fallback = None
    for policy in policies:
        if policy.dimension != dimension or not policy.is_active:
            continue
        if policy.gate_id == gate_id:
            return policy
        if policy.gate_id == "*":
            fallback = policy
    return fallback
