"""Writers of the SLA configuration: SLA policies and escalation rules. Administrators and
process owners edit them; every change has the sweep look at open incidents again, so the new
targets and levels apply to them within one sweep period. Bad input is a ``ValidationFailed``
(400) naming the field, never a database error."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction

from incidents.choices import Channel, EscalationClock
from incidents.escalation import parse_levels
from incidents.models import Category, EscalationRule, SlaPolicy
from org.choices import Role
from org.models import BusinessCalendar, BusinessService, Team, User
from servicedesk.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .sla import sla_recheck_open

NAME_MAX = 120
DESCRIPTION_MAX = 2000
TARGET_MAX = timedelta(days=365)
POSITION_MAX = 100_000


def may_manage_sla(user: Any) -> bool:
    roles: frozenset[Role] = getattr(user, "roles", frozenset())
    return Role.ADMIN in roles or Role.PROCESS_OWNER in roles


def _require(actor: User) -> None:
    if not may_manage_sla(actor):
        raise PermissionDenied(
            "Only administrators and process owners change SLA policies and escalation rules.",
            code="sla.permission",
        )


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={field: [message]})


def _name(value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        raise _bad("name", "A name is required.")
    if len(name) > NAME_MAX:
        raise _bad("name", f"A name has at most {NAME_MAX} characters.")
    return name


def _text(value: Any) -> str:
    text = str(value or "").strip()
    if len(text) > DESCRIPTION_MAX:
        raise _bad("description", f"A description has at most {DESCRIPTION_MAX} characters.")
    return text


def _position(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= POSITION_MAX:
        raise _bad("position", f"The position is a whole number from 0 to {POSITION_MAX}.")
    return value


def _priorities(value: Any) -> list[int]:
    if not isinstance(value, list | tuple) or any(
        isinstance(p, bool) or not isinstance(p, int) or p not in (1, 2, 3, 4) for p in value
    ):
        raise _bad("priorities", "Priorities are a list of 1 (P1) to 4 (P4).")
    return sorted(set(value))


def _channels(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or any(c not in Channel.values for c in value):
        raise _bad("channels", "Channels are a list of: " + ", ".join(Channel.values) + ".")
    return sorted(set(value))


def _target(field: str, value: Any) -> timedelta:
    if not isinstance(value, timedelta) or not timedelta(minutes=1) <= value <= TARGET_MAX:
        raise _bad(field, "A target is from one minute to 365 days of business time.")
    return value


def _ids(field: str, model: Any, value: Iterable[int]) -> list[Any]:
    wanted = sorted(set(value))
    if len(wanted) > 500:
        raise _bad(field, "At most 500.")
    found = list(model.objects.filter(pk__in=wanted))
    missing = sorted(set(wanted) - {row.pk for row in found})
    if missing:
        raise _bad(field, "No such ids: " + ", ".join(str(i) for i in missing) + ".")
    return found


def _one(field: str, model: Any, pk: int | None) -> Any:
    if pk is None:
        return None
    row = model.objects.filter(pk=pk).first()
    if row is None:
        raise _bad(field, f"No such id: {pk}.")
    return row


POLICY_FIELDS = (
    "name",
    "description",
    "position",
    "is_active",
    "priorities",
    "channels",
    "response_target",
    "resolution_target",
    "calendar_id",
    "service_ids",
    "category_ids",
)


def _apply_policy(policy: SlaPolicy, data: dict[str, Any]) -> tuple[list[Any] | None, ...]:
    if "name" in data:
        policy.name = _name(data["name"])
    if "description" in data:
        policy.description = _text(data["description"])
    if "position" in data:
        policy.position = _position(data["position"])
    if "is_active" in data:
        policy.is_active = bool(data["is_active"])
    if "priorities" in data:
        policy.priorities = _priorities(data["priorities"])
    if "channels" in data:
        policy.channels = _channels(data["channels"])
    if "response_target" in data:
        policy.response_target = _target("response_target", data["response_target"])
    if "resolution_target" in data:
        policy.resolution_target = _target("resolution_target", data["resolution_target"])
    if "calendar_id" in data:
        policy.calendar = _one("calendar_id", BusinessCalendar, data["calendar_id"])
    services = (
        _ids("service_ids", BusinessService, data["service_ids"]) if "service_ids" in data else None
    )
    categories = (
        _ids("category_ids", Category, data["category_ids"]) if "category_ids" in data else None
    )
    return services, categories


def _save(row: Any, what: str) -> None:
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise Conflict(f"{what} named {row.name!r} already exists.", code="sla.duplicate") from None


def sla_policy_create(*, actor: User, **data: Any) -> SlaPolicy:
    _require(actor)
    data.setdefault("name", "")
    with transaction.atomic():
        policy = SlaPolicy()
        services, categories = _apply_policy(policy, data)
        _save(policy, "An SLA policy")
        if services is not None:
            policy.services.set(services)
        if categories is not None:
            policy.categories.set(categories)
        sla_recheck_open()
    return policy


def sla_policy_update(*, actor: User, policy: SlaPolicy | int, **data: Any) -> SlaPolicy:
    _require(actor)
    with transaction.atomic():
        pk = policy.pk if isinstance(policy, SlaPolicy) else policy
        locked = SlaPolicy.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound("No such SLA policy.")
        services, categories = _apply_policy(locked, data)
        _save(locked, "An SLA policy")
        if services is not None:
            locked.services.set(services)
        if categories is not None:
            locked.categories.set(categories)
        sla_recheck_open()
    return locked


def sla_policy_delete(*, actor: User, policy: SlaPolicy | int) -> None:
    _require(actor)
    with transaction.atomic():
        pk = policy.pk if isinstance(policy, SlaPolicy) else policy
        if EscalationRule.objects.filter(policy_id=pk).exists():
            raise Conflict(
                "Escalation rules name this policy: change or delete them first, or switch the "
                "policy off.",
                code="sla.policy_in_use",
            )
        deleted, _ = SlaPolicy.objects.filter(pk=pk).delete()
        if not deleted:
            raise NotFound("No such SLA policy.")
        sla_recheck_open()


def _apply_rule(rule: EscalationRule, data: dict[str, Any]) -> None:
    if "name" in data:
        rule.name = _name(data["name"])
    if "description" in data:
        rule.description = _text(data["description"])
    if "position" in data:
        rule.position = _position(data["position"])
    if "is_active" in data:
        rule.is_active = bool(data["is_active"])
    if "clock" in data:
        if data["clock"] not in EscalationClock.values:
            raise _bad("clock", "The clock is one of: " + ", ".join(EscalationClock.values) + ".")
        rule.clock = data["clock"]
    if "priorities" in data:
        rule.priorities = _priorities(data["priorities"])
    if "policy_id" in data:
        rule.policy = _one("policy_id", SlaPolicy, data["policy_id"])
    if "next_team_id" in data:
        rule.next_team = _one("next_team_id", Team, data["next_team_id"])
    if "levels" in data:
        rule.levels = data["levels"]
    try:
        parse_levels(rule.levels, clock=rule.clock, next_team=rule.next_team_id is not None)
    except ValueError as exc:
        raise _bad("levels", str(exc)) from None


def escalation_rule_create(*, actor: User, **data: Any) -> EscalationRule:
    _require(actor)
    data.setdefault("name", "")
    with transaction.atomic():
        rule = EscalationRule()
        _apply_rule(rule, data)
        _save(rule, "An escalation rule")
        sla_recheck_open()
    return rule


def escalation_rule_update(
    *, actor: User, rule: EscalationRule | int, **data: Any
) -> EscalationRule:
    _require(actor)
    with transaction.atomic():
        pk = rule.pk if isinstance(rule, EscalationRule) else rule
        locked = EscalationRule.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound("No such escalation rule.")
        _apply_rule(locked, data)
        _save(locked, "An escalation rule")
        sla_recheck_open()
    return locked


def escalation_rule_delete(*, actor: User, rule: EscalationRule | int) -> None:
    _require(actor)
    with transaction.atomic():
        pk = rule.pk if isinstance(rule, EscalationRule) else rule
        if EscalationRule.objects.filter(pk=pk, applied__isnull=False).exists():
            raise Conflict(
                "This rule has escalated incidents: switch it off instead of deleting it, so "
                "their history keeps its name.",
                code="sla.rule_in_use",
            )
        deleted, _ = EscalationRule.objects.filter(pk=pk).delete()
        if not deleted:
            raise NotFound("No such escalation rule.")
