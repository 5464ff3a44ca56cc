"""Canned replies: written by the team's lead, a manager or an admin."""

from django.db import IntegrityError, transaction

from incidents.models import CannedReply
from incidents.replies import PLACEHOLDERS, unknown_placeholders
from org.choices import ROLE_GROUPS, Role
from org.models import Team, User
from servicedesk.errors import Conflict, PermissionDenied, ValidationFailed

TITLE_MAX = 120
BODY_MAX = 5000


def may_manage_canned_replies(actor: User, team: Team) -> bool:
    """The team's lead, anyone in the Managers group, or an admin."""
    if Role.ADMIN in actor.roles or team.lead_id == actor.pk:
        return True
    return actor.groups.filter(name=ROLE_GROUPS[Role.MANAGER]).exists()


def _require(actor: User, team: Team) -> None:
    if not may_manage_canned_replies(actor, team):
        raise PermissionDenied(
            f"Only the lead of {team.name}, a manager or an admin manages its canned replies.",
            code="canned_reply.permission",
        )


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["required"]
    elif len(title) > TITLE_MAX:
        errors["title"] = [f"at most {TITLE_MAX} characters"]
    if not body:
        errors["body"] = ["required"]
    elif len(body) > BODY_MAX:
        errors["body"] = [f"at most {BODY_MAX} characters"]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first.capitalize()}: {errors[first][0]}.", details=errors)
    unknown = unknown_placeholders(body)
    if unknown:
        raise ValidationFailed(
            "Unknown placeholder"
            + ("s " if len(unknown) > 1 else " ")
            + ", ".join("{" + u + "}" for u in unknown)
            + ". You can use: "
            + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            + ".",
            code="canned_reply.placeholder",
            details={"body": [f"unknown placeholder {{{u}}}" for u in unknown]},
        )
    return title, body


def _save(reply: CannedReply, fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            reply.save(update_fields=fields) if fields else reply.save()
    except IntegrityError:
        raise Conflict(
            f"{reply.team.name} already has a canned reply called “{reply.title}”.",
            code="canned_reply.duplicate_title",
        ) from None


def canned_reply_create(*, actor: User, team: Team, title: str, body: str) -> CannedReply:
    _require(actor, team)
    title, body = _clean(title, body)
    reply = CannedReply(team=team, title=title, body=body, created_by=actor)
    _save(reply)
    return reply


def canned_reply_update(
    *,
    reply: CannedReply,
    actor: User,
    title: str | None = None,
    body: str | None = None,
    is_active: bool | None = None,
) -> CannedReply:
    _require(actor, reply.team)
    new_title, new_body = _clean(
        reply.title if title is None else title, reply.body if body is None else body
    )
    changed: list[str] = []
    for field, value in (("title", new_title), ("body", new_body), ("is_active", is_active)):
        if value is not None and getattr(reply, field) != value:
            setattr(reply, field, value)
            changed.append(field)
    if changed:
        _save(reply, [*changed, "updated_at"])
    return reply


def canned_reply_delete(*, reply: CannedReply, actor: User) -> None:
    _require(actor, reply.team)
    reply.delete()
