"""The one outbound call: POST a signed JSON body, with timeouts, no redirects followed."""

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from . import signing

USER_AGENT = "servicedesk-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is the receiver's answer, logged as such


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def post(*, url: str, secret: str, delivery_id: str, payload: dict[str, Any]) -> Outcome:
    body = body_of(payload)
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 (http/https only: the URL was validated)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Webhook-Id": delivery_id,
            "Webhook-Timestamp": str(timestamp),
            "Webhook-Signature": signing.sign(secret, timestamp, body),
        },
    )
    handlers: list[Any] = [_NoRedirects()]
    if not settings.WEBHOOK_USE_PROXY:
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    started = time.perf_counter()
    code: int | None = None
    error = ""
    try:
        with opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(1024)
            code = response.status
    except urllib.error.HTTPError as exc:
        code = exc.code
        error = f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        error = f"{type(reason).__name__}: {reason}"
    duration = int((time.perf_counter() - started) * 1000)
    return Outcome(status_code=code, error=error[:500], duration_ms=duration)
