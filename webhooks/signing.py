"""Signatures: ``Webhook-Signature: sha256=<hex>``, the HMAC-SHA256 with the subscription's
secret over ``f"{Webhook-Timestamp}.{body}"``. A receiver recomputes it over the raw body,
compares in constant time, and refuses old timestamps (replays)."""

import hashlib
import hmac
import secrets

SCHEME = "sha256"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def verify(
    secret: str, *, timestamp: str, signature: str, body: bytes, now: float, tolerance: int = 300
) -> bool:
    """What a receiver does (the README shows the same in a few lines)."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature)
