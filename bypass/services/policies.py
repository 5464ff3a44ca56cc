"""Approval policies are versioned data the process owners edit: an edit is a new version
(the old one is kept, inactive), recorded in the ledger. Requests already submitted keep the
version and the plan they were frozen with."""

from typing import Any

from django.db import transaction

from org.choices import Role
from org.models import User
from servicedesk import clock
from servicedesk.errors import PermissionDenied, ValidationFailed

from .. import approvals, ledger
from ..choices import RiskClass
from ..models import BypassPolicy

FIELDS = (
    "fallback_group",
    "max_duration_hours",
    "max_uses",
    "remind_after_hours",
    "escalate_after_hours",
    "lapse_after_hours",
)


def bypass_policy_save(
    *, actor: User, gate_id: str, risk_class: str, rule: Any, **settings: Any
) -> BypassPolicy:
    if not (actor.has_role(Role.PROCESS_OWNER) or actor.has_role(Role.ADMIN)):
        raise PermissionDenied(
            "Only process owners edit bypass policies.", code="bypass.permission.policy"
        )
    if risk_class not in ("*", *RiskClass.values):
        raise ValidationFailed("Risk class is low, medium, high, critical or *.")
    if not isinstance(gate_id, str) or not gate_id or len(gate_id) > 100:
        raise ValidationFailed("Name the gate (or * for any).")
    try:
        approvals.validate_rule(rule)
    except ValueError as exc:
        raise ValidationFailed(str(exc), details={"field": "rule"}) from None
    unknown = set(settings) - set(FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown policy settings: {', '.join(sorted(unknown))}.")
    for name, value in settings.items():
        if name != "fallback_group" and (not isinstance(value, int) or not 1 <= value <= 24 * 90):
            raise ValidationFailed(f"{name} is a whole number of hours (or uses), 1 to 2160.")
    with transaction.atomic():
        current = (
            BypassPolicy.objects.select_for_update()
            .filter(gate_id=gate_id, risk_class=risk_class)
            .order_by("-version")
            .first()
        )
        base = {name: getattr(current, name) for name in FIELDS} if current else {}
        if current is not None and current.is_active:
            current.is_active = False
            current.save(update_fields=["is_active"])
        policy = BypassPolicy.objects.create(
            gate_id=gate_id,
            risk_class=risk_class,
            version=(current.version + 1) if current else 1,
            rule=rule,
            created_by=actor,
            created_at=clock.now(),
            **{**base, **settings},
        )
        ledger.append(
            "bypass.policy_changed",
            request=None,
            actor=actor,
            payload={
                "policy": policy.pk,
                "gate": gate_id,
                "risk_class": risk_class,
                "version": policy.version,
                "rule": rule,
                **{name: getattr(policy, name) for name in FIELDS},
            },
        )
    return policy
