"""Helpers shared by the bypass services: lock a request, move it along the state graph with
its ledger entry, clean input against the limits defined once in ``limits``."""

import hashlib
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group

from servicedesk import clock
from servicedesk.errors import NotFound, ValidationFailed

from .. import ledger
from ..models import BypassEvent, BypassRequest
from ..transitions import BYPASS


def lock(request: BypassRequest | int) -> BypassRequest:
    pk = request.pk if isinstance(request, BypassRequest) else request
    try:
        return BypassRequest.objects.select_for_update(of=("self",)).get(pk=pk)
    except BypassRequest.DoesNotExist:
        raise NotFound(f"No bypass request {pk}.", code="bypass.not_found") from None


def move(
    request: BypassRequest,
    action: str,
    *,
    actor: Any,
    event: str,
    payload: dict[str, Any] | None = None,
    fields: list[str] | None = None,
    now: datetime | None = None,
) -> BypassEvent:
    """Check ``action`` from the current state, set the target, save, append the fact."""
    transition = BYPASS.check(request.state, action)
    from_state = request.state
    request.state = transition.target
    request.updated_at = now or clock.now()
    request.save(update_fields=["state", "updated_at", *(fields or [])])
    return ledger.append(
        event,
        request=request,
        actor=actor,
        from_state=from_state,
        to_state=request.state,
        payload=payload,
    )


def clean_text(
    value: Any, *, field: str, required: bool = False, min_length: int = 0, max_length: int = 4000
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be text.", details={"field": field})
    value = value.strip()
    if required and not value:
        raise ValidationFailed(f"{field} is required.", details={"field": field})
    if value and len(value) < min_length:
        raise ValidationFailed(
            f"{field} needs at least {min_length} characters.", details={"field": field}
        )
    if len(value) > max_length:
        raise ValidationFailed(
            f"{field} is at most {max_length} characters.", details={"field": field}
        )
    return value


def group_members(names: set[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {name: [] for name in names}
    for group in Group.objects.filter(name__in=names).prefetch_related("user_set"):
        out[group.name] = sorted(u.pk for u in group.user_set.all() if u.is_active)
    return out


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
