"""Break-glass: "use now, approve later", declared by an eligible person on the one gate that
blocked them, while an open P1/P2 or major incident is linked, after re-entering their
password. It takes effect at once for a short time and few uses (the gate's
``BreakGlassPolicy``), alerts the approvers and the process owner at once, and must be ratified
or repudiated by the planned path's approval plan before a deadline. A repudiation suspends
the person's right on that gate until a process owner restores it, and its review is a
blameless learning review."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from org.choices import Role
from org.models import User
from servicedesk import clock
from servicedesk.errors import Conflict, GuardFailed, NotFound, PermissionDenied, ValidationFailed

from .. import approvals, gates, ledger, limits
from ..choices import RATIFICATION_STATES, Kind, Ratification, ReasonCategory, State, Verdict
from ..models import (
    BreakGlassPolicy,
    BreakGlassSuspension,
    BypassDecision,
    BypassItem,
    BypassRequest,
)
from .common import clean_text, lock, move
from .requests import resolve, scope_of

STEP_UP_CODE = "bypass.break_glass.step_up"


def policy_for(gate_id: str) -> BreakGlassPolicy | None:
    return BreakGlassPolicy.objects.filter(gate_id=gate_id, is_active=True).first()


def suspended(user: User, gate_id: str) -> BreakGlassSuspension | None:
    return (
        BreakGlassSuspension.objects.filter(user=user, gate_id=gate_id, restored_at=None)
        .select_related("request")
        .first()
    )


def why_not_eligible(user: Any, gate_id: str) -> str | None:
    """Gate, group and suspension (the incident and the password are checked at declaring)."""
    gate = gates.get(gate_id)
    policy = policy_for(gate_id)
    if gate is None or not gate.bypassable or policy is None:
        return f"Break-glass is not available on the gate {gate_id}."
    if not user.groups.filter(name=policy.eligible_group).exists():
        return (
            f"Break-glass on “{gate.title}” is for the {policy.eligible_group} group; "
            "you are not in it. Request a bypass instead."
        )
    held = suspended(user, gate_id)
    if held is not None:
        return (
            f"Your break-glass right on “{gate.title}” is suspended since "
            f"{held.request.ref} was repudiated, until a process owner restores it."
        )
    return None


def _incident(incident_id: Any) -> dict[str, Any]:
    facts = (
        gates.subject_facts("incidents.incident", incident_id)
        if isinstance(incident_id, int) and not isinstance(incident_id, bool)
        else None
    )
    if facts is None:
        raise ValidationFailed(
            "Link the open P1/P2 or major incident you are working on.",
            code="bypass.break_glass.incident",
            details={"field": "incident_id"},
        )
    if not facts.get("is_open") or not (facts.get("priority") in (1, 2) or facts.get("is_major")):
        raise GuardFailed(
            f"{facts['ref']} is not an open P1/P2 or major incident; break-glass is only for "
            "those. Request a bypass instead.",
            guard="bypass.break_glass.incident",
        )
    return facts


def bypass_break_glass(
    *,
    actor: User,
    gate_id: str,
    subject_type: str,
    subject_id: int,
    incident_id: Any,
    password: Any,
    justification: Any,
    refusal: Any = "",
) -> BypassRequest:
    """Declare break-glass on ``gate_id`` for the subject it blocked. Checks, in order: the
    gate and the person's group and suspension (403), the step-up password (403), the linked
    incident (409), then grants at once."""
    refusal_text = why_not_eligible(actor, gate_id)
    if refusal_text:
        raise PermissionDenied(refusal_text, code="bypass.break_glass.not_eligible")
    if not isinstance(password, str) or not password or not actor.check_password(password):
        raise PermissionDenied(
            "Your password did not match. Break-glass needs you to confirm who you are; "
            "nothing was declared.",
            code=STEP_UP_CODE,
        )
    facts = _incident(incident_id)
    justification = clean_text(
        justification, field="Justification", required=True, min_length=limits.JUSTIFICATION_MIN
    )
    refusal = clean_text(refusal, field="Refusal")
    subject = gates.subject_facts(subject_type, subject_id) if isinstance(subject_id, int) else None
    if subject is None:
        raise ValidationFailed("Name the subject the gate blocked.", details={"field": "subject"})
    policy = policy_for(gate_id)
    assert policy is not None
    gate = gates.get(gate_id)
    assert gate is not None
    now = clock.now()
    with transaction.atomic():
        request = BypassRequest.objects.create(
            kind=Kind.BREAK_GLASS,
            requester=actor,
            beneficiary=actor,
            subject_type=subject_type,
            subject_id=subject_id,
            subject_ref=str(subject.get("ref", subject_id))[:40],
            service_id=subject.get("service_id"),
            team_id=subject.get("team_id"),
            reason_category=ReasonCategory.SERVICE_RESTORATION,
            justification=justification,
            what_does_not_fit=f"Declared break-glass during {facts['ref']}.",
            refusal=refusal,
            valid_from=now,
            valid_until=now + timedelta(minutes=policy.ttl_minutes),
            max_uses=policy.max_uses,
            incident_id=incident_id,
            incident_ref=str(facts["ref"])[:40],
            ratification_due_at=now + timedelta(hours=policy.ratify_within_hours),
            created_at=now,
            updated_at=now,
        )
        item = {"gate_id": gate_id, "treatment": policy.treatment, "value": None, "deadline": None}
        BypassItem.objects.create(request=request, position=0, **item)
        request.scope_hash = scope_of(request, [item])
        from .requests import _person

        request.snapshot = {"requester": _person(actor), "beneficiary": _person(actor)}
        request.submitted_at = request.activated_at = now
        request.save(update_fields=["scope_hash", "snapshot", "submitted_at", "activated_at"])
        ledger.append(
            "bypass.created",
            request=request,
            actor=actor,
            to_state=request.state,
            payload={
                "subject": request.subject_ref,
                "subject_type": subject_type,
                "beneficiary": actor.pk,
                "items": [[gate_id, policy.treatment]],
                "reason": request.reason_category,
                "scope_hash": request.scope_hash,
                "kind": Kind.BREAK_GLASS,
            },
        )
        resolve(request, actor=actor, now=now, check_limits=False)
        event = move(
            request,
            "break_glass",
            actor=actor,
            event="bypass.break_glass_started",
            payload={
                "gate": gate_id,
                "incident": request.incident_ref,
                "step_up": "password",
                "valid_until": request.valid_until.isoformat(),
                "max_uses": request.max_uses,
                "ratify_by": request.ratification_due_at.isoformat(),  # type: ignore[union-attr]
                "approvers": sorted(approvals.Plan.from_dict(request.plan).approver_ids),
            },
            now=now,
        )
        notify(event.seq)
    return request


def stop(request: BypassRequest, *, actor: Any, now: datetime, why: str) -> None:
    """The grant ends (TTL, last use or revoked): it awaits its verdict, or — ratified early —
    goes straight to review. Caller holds the row lock."""
    ratified = request.ratification == Ratification.RATIFIED
    request.ended_at = request.ended_at or now
    request.review_due_at = now + limits.REVIEW_DUE if ratified else None
    move(
        request,
        "stop_ratified" if ratified else "stop",
        actor=actor,
        event="bypass.break_glass_stopped",
        payload={"why": why, "uses": request.uses_count},
        fields=["ended_at", "review_due_at"],
        now=now,
    )


def ratification_votes(request: BypassRequest) -> dict[int, str]:
    """person → "approve" (ratify) / "reject" (repudiate), first verdict counts."""
    out: dict[int, str] = {}
    for d in request.decisions.filter(scope_hash=request.scope_hash).order_by("id"):
        if d.verdict in (Verdict.RATIFY, Verdict.REPUDIATE):
            out.setdefault(d.approver_id, "approve" if d.verdict == Verdict.RATIFY else "reject")
    return out


def bypass_ratify(*, request: BypassRequest | int, actor: User, comment: Any = "") -> BypassRequest:
    return _verdict(request=request, actor=actor, verdict=Verdict.RATIFY, comment=comment)


def bypass_repudiate(*, request: BypassRequest | int, actor: User, comment: Any) -> BypassRequest:
    return _verdict(request=request, actor=actor, verdict=Verdict.REPUDIATE, comment=comment)


def _verdict(
    *, request: BypassRequest | int, actor: User, verdict: str, comment: Any
) -> BypassRequest:
    from .decisions import why_not_eligible as sod_refusal

    comment = clean_text(comment, field="Comment")
    with transaction.atomic():
        locked = lock(request)
        if locked.kind != Kind.BREAK_GLASS or locked.state not in RATIFICATION_STATES:
            raise Conflict(
                f"{locked.ref} does not await ratification.", code="state.transition_not_allowed"
            )
        refusal = sod_refusal(locked, actor)
        if refusal:
            raise PermissionDenied(refusal, code="bypass.sod.not_eligible")
        if actor.pk in ratification_votes(locked):
            raise Conflict(
                f"You have already given your verdict on {locked.ref}.", code="bypass.approval.once"
            )
        if verdict == Verdict.REPUDIATE and not comment:
            raise GuardFailed(
                "A repudiation needs a reason the learning review can start from.",
                guard="bypass.repudiation.reason",
            )
        now = clock.now()
        event = ledger.append(
            "bypass.decision",
            request=locked,
            actor=actor,
            payload={"verdict": verdict, "comment": comment, "scope_hash": locked.scope_hash},
        )
        BypassDecision.objects.create(
            request=locked,
            approver=actor,
            approver_name=actor.name,
            verdict=verdict,
            comment=comment,
            scope_hash=locked.scope_hash,
            ledger_seq=event.seq,
            created_at=now,
        )
        outcome = approvals.evaluate(
            approvals.Plan.from_dict(locked.plan), ratification_votes(locked)
        )
        if outcome == approvals.APPROVED:
            _ratified(locked, actor=actor, now=now)
        elif outcome == approvals.REJECTED:
            _repudiated(locked, actor=actor, now=now, reason=comment)
    return locked


def _ratified(request: BypassRequest, *, actor: User, now: datetime) -> None:
    request.ratification = Ratification.RATIFIED
    request.decided_at = now
    if request.state == State.BREAK_GLASS:  # early: the grant runs on, its TTL unchanged
        request.save(update_fields=["ratification", "decided_at"])
        ledger.append("bypass.ratified", request=request, actor=actor, payload={"early": True})
        return
    request.review_due_at = now + limits.REVIEW_DUE
    event = move(
        request,
        "ratify",
        actor=actor,
        event="bypass.ratified",
        payload={"early": False, "late": bool(request.escalated_at)},
        fields=["ratification", "decided_at", "review_due_at"],
        now=now,
    )
    notify(event.seq)


def _repudiated(request: BypassRequest, *, actor: User, now: datetime, reason: str) -> None:
    request.ratification = Ratification.REPUDIATED
    request.decided_at = now
    request.ended_at = request.ended_at or now
    request.review_due_at = now + limits.REVIEW_DUE
    event = move(
        request,
        "repudiate",
        actor=actor,
        event="bypass.repudiated",
        payload={"reason": reason, "learning_review": True},
        fields=["ratification", "decided_at", "ended_at", "review_due_at"],
        now=now,
    )
    notify(event.seq)
    gate_id = request.items.values_list("gate_id", flat=True).first() or ""
    if not BreakGlassSuspension.objects.filter(
        user_id=request.requester_id, gate_id=gate_id, restored_at=None
    ).exists():
        row = BreakGlassSuspension.objects.create(
            user_id=request.requester_id, gate_id=gate_id, request=request, created_at=now
        )
        ledger.append(
            "bypass.break_glass_suspended",
            request=request,
            actor=actor,
            payload={"user": request.requester_id, "gate": gate_id, "suspension": row.pk},
        )


def bypass_break_glass_restore(
    *, suspension: BreakGlassSuspension | int, actor: User, note: Any
) -> BreakGlassSuspension:
    """A process owner restores a person's break-glass right on a gate (logged)."""
    note = clean_text(note, field="Note", required=True, max_length=2000)
    if not (actor.has_role(Role.PROCESS_OWNER) or actor.has_role(Role.ADMIN)):
        raise PermissionDenied(
            "Only a process owner may restore a break-glass right.",
            code="bypass.permission.restore",
        )
    pk = suspension.pk if isinstance(suspension, BreakGlassSuspension) else suspension
    with transaction.atomic():
        row = (
            BreakGlassSuspension.objects.select_for_update(of=("self",))
            .select_related("request", "user")
            .filter(pk=pk)
            .first()
        )
        if row is None:
            raise NotFound(f"No break-glass suspension {pk}.", code="bypass.suspension.not_found")
        if row.restored_at is not None:
            raise Conflict(
                f"{row.user.name}'s break-glass right on {row.gate_id} is already restored.",
                code="bypass.suspension.restored",
            )
        row.restored_at, row.restored_by, row.restore_note = clock.now(), actor, note
        row.save(update_fields=["restored_at", "restored_by", "restore_note"])
        ledger.append(
            "bypass.break_glass_restored",
            request=row.request,
            actor=actor,
            payload={"user": row.user_id, "gate": row.gate_id, "note": note},
        )
    return row


def notify(seq: int) -> None:
    from notifications import dispatch

    from ..notifications import notify_key
    from ..tasks import bypass_notify_task

    dispatch.schedule(bypass_notify_task, seq, key=notify_key(seq))
