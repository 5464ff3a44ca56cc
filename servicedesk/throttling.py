"""API rate limits: one budget per token (or signed-in session) and one per client address,
counted in fixed windows in the shared cache, so every web process sees the same counts
(Redis when ``REDIS_URL`` is set, a file cache in ``var/`` otherwise).

Each API response carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``
(seconds until the window resets) for the tighter of the two budgets; a request over a budget
gets 429 with ``Retry-After``.
"""

import ipaddress
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600,
           "hour": 3600, "d": 86400, "day": 86400}  # fmt: skip


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/minute"`` → (600, 60)."""
    count, _, period = rate.partition("/")
    try:
        return int(count), PERIODS[period.strip().lower()]
    except (ValueError, KeyError):
        raise ValueError(f"Not a rate: {rate!r} (write e.g. 600/minute).") from None


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset: int  # seconds until the window resets
    exceeded: bool


def hit(scope: str, ident: str, rate: str, *, now: float | None = None) -> RateState:
    """Count one request against ``scope:ident``'s budget in the current window."""
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    key = f"{settings.RATELIMIT_KEY_PREFIX}:{scope}:{ident}:{window}"
    cache = caches[settings.RATELIMIT_CACHE]
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    reset = max(1, math.ceil((window + 1) * period - now))
    return RateState(limit, max(0, limit - count), reset, count > limit)


def client_ip(request: Any) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or with ``TRUSTED_PROXIES`` = n, the n-th
    address from the right of ``X-Forwarded-For`` (what the last trusted proxy saw). None
    when there is none that parses (also what django-axes records)."""
    meta = getattr(request, "META", {})
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    candidate = meta.get("REMOTE_ADDR", "")
    if proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            candidate = addresses[-min(proxies, len(addresses))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class ApiRateThrottle(BaseThrottle):
    """Per token (or per signed-in user for session calls) and per client address."""

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        states = [hit("ip", client_ip(request) or "unknown", settings.API_RATE_PER_IP)]
        token_key = getattr(request.auth, "token_key", None)
        user = getattr(request, "user", None)
        if token_key:
            states.append(hit("token", token_key, settings.API_RATE_PER_TOKEN))
        elif user is not None and user.is_authenticated:
            states.append(hit("user", str(user.pk), settings.API_RATE_PER_TOKEN))
        exceeded = [s for s in states if s.exceeded]
        state = (
            max(exceeded, key=lambda s: s.reset)
            if exceeded
            else min(states, key=lambda s: (s.remaining, -s.reset))
        )
        request._request.ratelimit = state
        self._wait = state.reset if state.exceeded else None
        return not state.exceeded

    def wait(self) -> float | None:
        return self._wait
