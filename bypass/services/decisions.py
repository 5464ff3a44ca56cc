"""Approvers' decisions. Each is an append-only row bound to the scope hash it was made on,
recorded in the ledger (its receipt); the quorum of the frozen plan is evaluated after each one
under the request's row lock and settles as soon as the outcome is certain either way."""

from typing import Any

from django.db import transaction

from org.models import User
from servicedesk import clock
from servicedesk.errors import Conflict, GuardFailed, PermissionDenied, ValidationFailed

from .. import approvals, gates, ledger
from ..choices import State, Verdict
from ..models import BypassDecision, BypassRequest
from .common import clean_text, lock, move
from .lifecycle import activate_if_due
from .requests import _chain


def why_not_eligible(request: BypassRequest, actor: User) -> str | None:
    """Separation of duties, checked again at decision time (with the subject's current
    implementer and assignee), or None when ``actor`` may decide."""
    plan = approvals.Plan.from_dict(request.plan)
    facts = gates.subject_facts(request.subject_type, request.subject_id) or {}
    snapshot = request.snapshot or {}
    parties = approvals.Parties(
        requester_id=request.requester_id,
        beneficiary_id=request.beneficiary_id,
        implementer_id=facts.get("implementer_id"),
        assignee_id=facts.get("assignee_id"),
        requester_chain=tuple(snapshot.get("requester", {}).get("manager_chain", ())),
        beneficiary_chain=tuple(snapshot.get("beneficiary", {}).get("manager_chain", ())),
    )
    reasons = approvals.sod_exclusions(actor.pk, _chain(actor), parties)
    if reasons:
        return f"You may not decide on {request.ref}: you " + " and ".join(reasons) + "."
    for person in plan.excluded:
        if person["user_id"] == actor.pk:
            return (
                f"You may not decide on {request.ref}: you " + " and ".join(person["reasons"]) + "."
            )
    if actor.pk not in plan.approver_ids:
        return (
            f"You are not among the approvers of {request.ref}; its policy names: "
            + ", ".join(sorted(plan.eligible))
            + "."
        )
    return None


def votes(request: BypassRequest) -> dict[int, str]:
    out: dict[int, str] = {}
    for d in request.decisions.filter(scope_hash=request.scope_hash).order_by("id"):
        if d.verdict in (Verdict.APPROVE, Verdict.REJECT):
            out.setdefault(d.approver_id, d.verdict)
    return out


def _decide(
    *, request: BypassRequest | int, actor: User, verdict: str, comment: Any
) -> BypassRequest:
    comment = clean_text(comment, field="Comment")
    with transaction.atomic():
        locked = lock(request)
        action = {"approve": "approve", "reject": "reject", "request_info": "request_info"}[verdict]
        from ..transitions import BYPASS

        BYPASS.check(locked.state, action)
        refusal = why_not_eligible(locked, actor)
        if refusal:
            raise PermissionDenied(refusal, code="bypass.sod.not_eligible")
        if verdict != Verdict.REQUEST_INFO and actor.pk in votes(locked):
            raise Conflict(
                f"You have already decided on this scope of {locked.ref}.",
                code="bypass.approval.once",
            )
        if verdict == Verdict.REJECT and not comment:
            raise GuardFailed(
                "A rejection needs a reason the requester can act on.",
                guard="bypass.rejection.reason",
            )
        if verdict == Verdict.REQUEST_INFO and not comment:
            raise GuardFailed("Say what information you need.", guard="bypass.info.question")
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
        if verdict == Verdict.REQUEST_INFO:
            move(
                locked,
                "request_info",
                actor=actor,
                event="bypass.info_requested",
                payload={"question": comment},
                now=now,
            )
            return locked
        outcome = approvals.evaluate(approvals.Plan.from_dict(locked.plan), votes(locked))
        if outcome == approvals.APPROVED:
            locked.decided_at = now
            move(
                locked,
                "approve",
                actor=actor,
                event="bypass.approved",
                payload={"scope_hash": locked.scope_hash, "votes": _tally(locked)},
                fields=["decided_at"],
                now=now,
            )
            activate_if_due(locked, actor=actor, now=now)
        elif outcome == approvals.REJECTED:
            locked.decided_at = locked.ended_at = now
            move(
                locked,
                "reject",
                actor=actor,
                event="bypass.rejected",
                payload={"reason": comment, "votes": _tally(locked)},
                fields=["decided_at", "ended_at"],
                now=now,
            )
    return locked


def _tally(request: BypassRequest) -> dict[str, int]:
    v = votes(request)
    return {
        "approvals": sum(1 for x in v.values() if x == Verdict.APPROVE),
        "rejections": sum(1 for x in v.values() if x == Verdict.REJECT),
    }


def bypass_approve(
    *, request: BypassRequest | int, actor: User, comment: str = ""
) -> BypassRequest:
    return _decide(request=request, actor=actor, verdict=Verdict.APPROVE, comment=comment)


def bypass_reject(*, request: BypassRequest | int, actor: User, comment: str) -> BypassRequest:
    return _decide(request=request, actor=actor, verdict=Verdict.REJECT, comment=comment)


def bypass_request_info(
    *, request: BypassRequest | int, actor: User, comment: str
) -> BypassRequest:
    return _decide(request=request, actor=actor, verdict=Verdict.REQUEST_INFO, comment=comment)


def may_decide(request: BypassRequest, actor: User) -> bool:
    if request.state != State.IN_REVIEW:
        return False
    try:
        return why_not_eligible(request, actor) is None and actor.pk not in votes(request)
    except ValidationFailed:
        return False
