"""``Idempotency-Key`` for POSTs: the same key with the same request from the same user gets the
first successful response again (status, body, ``Location``, ``ETag``), without doing the work
twice. The key is reserved in its own committed row before the work starts, so a concurrent
duplicate (another web process, another thread) sees it and gets 409 instead of racing.

Only successful (2xx) responses are kept: after a 4xx or 5xx the reservation is released and the
client may fix the request (or wait out a conflict) and retry with the same key. Keys live 24
hours; ``idempotency_keys_expire`` (a beat-driven sweep) deletes older ones, and an expired key
is treated as new even before the sweep ran.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone

from .errors import Conflict, ValidationFailed
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "ETag", "Content-Disposition")
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
SWEEP_BATCH = 1000


def ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", 24))


class Replay(Exception):
    """Raised to short-circuit the view with the stored response."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("idempotent replay")
        self.response = response


@dataclass
class Reservation:
    record: IdempotencyKey


def _canonical(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # QueryDict / MultiValueDict: keep every value of a key
        return {k: [_canonical(v) for v in vs] for k, vs in sorted(value.lists())}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(*, method: str, path: str, data: Any) -> str:
    body = json.dumps(_canonical(data), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{method}\n{path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        record.response_body,
        status=record.response_status or 200,
        content_type=record.response_content_type or "application/json",
    )
    for name, value in record.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def begin(*, user: Any, key: str, method: str, path: str, data: Any) -> Reservation:
    """Reserve ``key`` for this request, or raise ``Replay`` / ``Conflict``."""
    if not KEY_RE.match(key):
        raise ValidationFailed(
            "The Idempotency-Key header must be 1 to 255 printable ASCII characters "
            "without spaces (a UUID is a good choice).",
            code="idempotency.key_invalid",
        )
    print_ = fingerprint(method=method, path=path, data=data)
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user, key=key, method=method, path=path, fingerprint=print_, created_at=now
                )
            return Reservation(record)
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=user, key=key).first()
            if existing is None:  # released between our insert and our read: try again
                continue
            if existing.created_at <= now - ttl():
                existing.delete()
                continue
            if existing.fingerprint != print_:
                raise Conflict(
                    "This Idempotency-Key was already used for a different request "
                    f"({existing.method} {existing.path} with another body). Use a new key "
                    "for a new request.",
                    code="idempotency.key_reused",
                    details={"idempotency_key": key},
                ) from None
            if existing.state == IdempotencyKey.State.IN_PROGRESS:
                raise Conflict(
                    "A request with this Idempotency-Key is still in progress. Wait for it to "
                    "finish, then retry to get its result.",
                    code="idempotency.in_progress",
                    details={"idempotency_key": key},
                ) from None
            raise Replay(_replay(existing)) from None
    raise Conflict(  # pragma: no cover - two releases in a row under heavy contention
        "This Idempotency-Key is contended; retry in a moment.", code="idempotency.in_progress"
    )


def finish(reservation: Reservation, response: HttpResponseBase) -> None:
    """Keep a successful response for replay; release the key after any other outcome."""
    record = reservation.record
    if not 200 <= response.status_code < 300:
        IdempotencyKey.objects.filter(pk=record.pk).delete()
        return
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    content = getattr(response, "content", b"").decode("utf-8", errors="replace")
    IdempotencyKey.objects.filter(pk=record.pk).update(
        state=IdempotencyKey.State.DONE,
        response_status=response.status_code,
        response_body=content,
        response_content_type=response.get("Content-Type", "application/json"),
        response_headers={h: response[h] for h in KEPT_HEADERS if response.has_header(h)},
    )


def release(reservation: Reservation) -> None:
    IdempotencyKey.objects.filter(pk=reservation.record.pk).delete()


def expire(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Delete keys older than the TTL, in bounded batches. Returns how many went."""
    cutoff = (now or timezone.now()) - ttl()
    total = 0
    while True:
        ids = list(
            IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[
                :batch
            ]
        )
        if not ids:
            return total
        deleted, _ = IdempotencyKey.objects.filter(pk__in=ids).delete()
        total += deleted
