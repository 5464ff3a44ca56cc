"""Named guards on improvement transitions. Guards read; they never write."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from servicedesk.errors import GuardFailed, PermissionDenied

from . import access
from .limits import REASON_MIN


@dataclass
class Ctx:
    obj: Any
    actor: Any
    now: datetime
    data: dict[str, Any] = field(default_factory=dict)


def may_decide(ctx: Ctx) -> None:
    """improvement.permission.owner"""
    if access.owns(ctx.actor, ctx.obj):
        return
    raise PermissionDenied(
        "Only the improvement's owner, its owning group, a process owner or an admin may do this.",
        code="improvement.permission.owner",
    )


def reason_given(ctx: Ctx) -> None:
    """improvement.reason"""
    reason = str(ctx.data.get("reason") or "").strip()
    if len(reason) < REASON_MIN:
        raise GuardFailed(
            f"Say why it is declined (at least {REASON_MIN} characters): the person who "
            "suggested it will read it.",
            guard="improvement.reason",
        )
