"""Standard bypasses: a process owner turns a recurring low-risk pattern into a narrow rule
(gate + treatment + reason + service tier + subject type, bounded validity and uses) that
pre-approves matching requests — the decision is recorded on the ledger as the rule's. Each
rule is reviewed periodically and demoted automatically when the reviewed outcomes of its
uses degrade past its threshold."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from org.choices import Role
from org.models import User
from servicedesk import clock
from servicedesk.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .. import approvals, gates, ledger
from ..choices import BAD_OUTCOMES, ReasonCategory, RiskClass
from ..models import BypassRequest, BypassReview, StandardBypass
from .common import clean_text, move

LIMITS = {
    "max_duration_hours": (1, 168),
    "max_uses": (1, 5),
    "review_every_days": (7, 365),
    "degrade_percent": (1, 100),
    "degrade_min_reviews": (1, 50),
}


def _owner_only(actor: User) -> None:
    if not (actor.has_role(Role.PROCESS_OWNER) or actor.has_role(Role.ADMIN)):
        raise PermissionDenied(
            "Only a process owner may manage standard bypasses.",
            code="bypass.permission.standard",
        )


def _int(data: dict[str, Any], name: str, default: int) -> int:
    value = data.get(name, default)
    low, high = LIMITS[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValidationFailed(
            f"{name.replace('_', ' ')} is {low} to {high}.", details={"field": name}
        )
    return value


def bypass_standard_create(*, actor: User, **data: Any) -> StandardBypass:
    _owner_only(actor)
    gate_id = data.get("gate_id")
    gate = gates.get(gate_id) if isinstance(gate_id, str) else None
    if gate is None or not gate.bypassable:
        raise ValidationFailed("Choose a bypassable gate.", details={"field": "gate_id"})
    treatment = data.get("treatment")
    if treatment not in gate.treatments:
        raise ValidationFailed(
            f"The gate {gate.id} allows: {', '.join(sorted(gate.treatments))}.",
            details={"field": "treatment"},
        )
    if data.get("reason_category") not in ReasonCategory.values:
        raise ValidationFailed("Choose a reason category.", details={"field": "reason_category"})
    tier = data.get("service_tier")
    if not isinstance(tier, int) or isinstance(tier, bool) or not 1 <= tier <= 4:
        raise ValidationFailed("The service tier is 1 to 4.", details={"field": "service_tier"})
    if data.get("subject_type") not in gates.subject_types():
        raise ValidationFailed("Choose what it applies to.", details={"field": "subject_type"})
    title = clean_text(data.get("title"), field="Title", required=True, max_length=200)
    values = {
        name: _int(data, name, default)
        for name, default in (
            ("max_duration_hours", 24),
            ("max_uses", 1),
            ("review_every_days", 90),
            ("degrade_percent", 34),
            ("degrade_min_reviews", 3),
        )
    }
    now = clock.now()
    with transaction.atomic():
        row = StandardBypass.objects.create(
            title=title,
            gate_id=gate.id,
            treatment=treatment,
            reason_category=data["reason_category"],
            service_tier=tier,
            subject_type=data["subject_type"],
            next_review_at=now + timedelta(days=values["review_every_days"]),
            owner=actor,
            created_at=now,
            **values,
        )
        ledger.append(
            "bypass.standard_created",
            request=None,
            actor=actor,
            payload={
                "standard": row.pk,
                "title": title,
                "gate": gate.id,
                "treatment": treatment,
                "reason": row.reason_category,
                "service_tier": tier,
                "subject_type": row.subject_type,
                **values,
            },
        )
    return row


def matching_standard(request: BypassRequest) -> StandardBypass | None:
    """The active standard bypass that covers this request exactly, or None: one item, same
    gate and treatment, reason, service tier and subject type, low risk leaving recurrence
    aside (the pattern recurs by definition), validity and uses within the rule."""
    items = list(request.items.all())
    inputs = request.risk_inputs or {}
    tier = inputs.get("service_tier")
    # Low risk apart from recurrence: a standard bypass exists for a pattern that recurs.
    base = approvals.assess_risk(
        gate_weight=int(inputs.get("gate_weight") or 4),
        service_tier=tier if isinstance(tier, int) else None,
        change_risk=inputs.get("change_risk"),
        recurrence={},
    )
    if len(items) != 1 or base.risk_class != RiskClass.LOW or request.follows_id:
        return None
    hours = (request.valid_until - request.valid_from).total_seconds() / 3600
    for rule in StandardBypass.objects.filter(
        is_active=True,
        gate_id=items[0].gate_id,
        treatment=items[0].treatment,
        reason_category=request.reason_category,
        subject_type=request.subject_type,
        service_tier=tier if isinstance(tier, int) else -1,
    ).order_by("pk"):
        if hours <= rule.max_duration_hours and request.max_uses <= rule.max_uses:
            return rule
    return None


def pre_approve(request: BypassRequest, *, rule: StandardBypass, actor: Any, now: datetime) -> None:
    from .lifecycle import activate_if_due

    request.standard = rule
    request.decided_at = now
    move(
        request,
        "pre_approve",
        actor=actor,
        event="bypass.approved",
        payload={
            "by_rule": rule.pk,
            "rule": rule.title,
            "scope_hash": request.scope_hash,
        },
        fields=["standard", "decided_at"],
        now=now,
    )
    activate_if_due(request, actor=actor, now=now)


def outcomes(rule_id: int) -> tuple[int, int]:
    """(reviews, bad ones) of the requests this rule pre-approved."""
    rows = list(
        BypassReview.objects.filter(request__standard_id=rule_id).values_list("outcome", flat=True)
    )
    return len(rows), sum(1 for o in rows if o in BAD_OUTCOMES)


def check_demotion(rule_id: int, *, actor: Any, now: datetime) -> bool:
    """Demote the rule when its reviewed outcomes degrade past its threshold."""
    rule = StandardBypass.objects.select_for_update().filter(pk=rule_id, is_active=True).first()
    if rule is None:
        return False
    total, bad = outcomes(rule_id)
    if total < rule.degrade_min_reviews or bad * 100 < rule.degrade_percent * total:
        return False
    rule.is_active = False
    rule.demoted_at = now
    rule.demoted_reason = (
        f"{bad} of {total} reviewed uses degraded, failed or caused an incident "
        f"(threshold {rule.degrade_percent}%)."
    )
    rule.save(update_fields=["is_active", "demoted_at", "demoted_reason"])
    ledger.append(
        "bypass.standard_demoted",
        request=None,
        actor=actor,
        payload={"standard": rule.pk, "reviews": total, "bad": bad, "why": rule.demoted_reason},
    )
    return True


def bypass_standard_review(
    *, standard: StandardBypass | int, actor: User, keep: bool, note: Any
) -> StandardBypass:
    """The periodic review: keep it (next review set) or retire it."""
    _owner_only(actor)
    note = clean_text(note, field="Note", required=True, max_length=2000)
    pk = standard.pk if isinstance(standard, StandardBypass) else standard
    with transaction.atomic():
        row = StandardBypass.objects.select_for_update().filter(pk=pk).first()
        if row is None:
            raise NotFound(f"No standard bypass {pk}.", code="bypass.standard.not_found")
        if not row.is_active:
            raise Conflict(f"“{row.title}” is no longer active.", code="bypass.standard.inactive")
        now = clock.now()
        total, bad = outcomes(row.pk)
        if keep:
            row.next_review_at = now + timedelta(days=row.review_every_days)
            row.save(update_fields=["next_review_at"])
        else:
            row.is_active, row.demoted_at, row.demoted_reason = False, now, note
            row.save(update_fields=["is_active", "demoted_at", "demoted_reason"])
        ledger.append(
            "bypass.standard_reviewed",
            request=None,
            actor=actor,
            payload={"standard": row.pk, "keep": keep, "note": note, "reviews": total, "bad": bad},
        )
    return row
