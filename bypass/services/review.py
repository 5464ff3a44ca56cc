"""The review after use. A used bypass that ended (consumed, expired, revoked) and every
break-glass after its verdict is reviewed before it closes: how the work turned out (worked /
degraded / failed / caused an incident, with links) and — the first question — what about the
process did not fit, with an optional proposal to change it. Saving the review closes the
request and, once committed, tells other apps (``signals.request_reviewed``)."""

from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction

from org.choices import Role
from org.models import User
from servicedesk import clock
from servicedesk.errors import GuardFailed, PermissionDenied, ValidationFailed

from .. import ledger, limits, signals
from ..choices import REVIEWABLE_STATES, Outcome, Ratification, State
from ..models import BypassRequest, BypassReview
from .common import clean_text, lock, move


def needs_review(request: BypassRequest) -> bool:
    """Reviewed before closing: every break-glass, and any planned bypass that was used."""
    if request.state == State.UNDER_REVIEW:
        return True
    return request.state in REVIEWABLE_STATES and request.uses_count > 0


def may_review(request: BypassRequest, user: Any) -> bool:
    return user.pk in (request.requester_id, request.beneficiary_id) or bool(
        user.has_role(Role.PROCESS_OWNER) or user.has_role(Role.ADMIN)
    )


def _links(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [part for part in value.replace(",", "\n").splitlines()]
    if not isinstance(value, (list, tuple)):
        raise ValidationFailed("Links are a list of references.", details={"field": "links"})
    out = [clean_text(v, field="Link", max_length=500) for v in value]
    out = [v for v in out if v]
    if len(out) > limits.MAX_REVIEW_LINKS:
        raise ValidationFailed(
            f"At most {limits.MAX_REVIEW_LINKS} links.", details={"field": "links"}
        )
    return out


def bypass_review(
    *,
    request: BypassRequest | int,
    actor: User,
    outcome: Any,
    misfit: Any,
    proposal: Any = "",
    links: Any = None,
) -> BypassReview:
    if outcome not in Outcome.values:
        raise ValidationFailed("Say how it turned out.", details={"field": "outcome"})
    misfit = clean_text(misfit, field="What did not fit", required=True)
    proposal = clean_text(proposal, field="Proposal")
    link_list = _links(links)
    with transaction.atomic():
        locked = lock(request)
        if not may_review(locked, actor):
            raise PermissionDenied(
                f"Only the requester or beneficiary of {locked.ref}, or a process owner, may "
                "review it.",
                code="bypass.permission.review",
            )
        if not needs_review(locked):
            raise GuardFailed(
                f"{locked.ref} is {locked.get_state_display().lower()}; only a used bypass "
                "that has ended is reviewed.",
                guard="bypass.review.not_due",
            )
        now = clock.now()
        learning = locked.ratification == Ratification.REPUDIATED
        event = ledger.append(
            "bypass.reviewed",
            request=locked,
            actor=actor,
            payload={
                "outcome": outcome,
                "misfit": misfit,
                "proposal": proposal,
                "links": link_list,
                "learning": learning,
                "late": bool(locked.review_due_at and now > locked.review_due_at),
            },
        )
        review = BypassReview.objects.create(
            request=locked,
            reviewer=actor,
            reviewer_name=actor.name,
            outcome=outcome,
            links=link_list,
            misfit=misfit,
            proposal=proposal,
            learning=learning,
            ledger_seq=event.seq,
            created_at=now,
        )
        locked.closed_at = now
        move(locked, "review", actor=actor, event="bypass.closed", fields=["closed_at"], now=now)
        if locked.standard_id:
            from .standard import check_demotion

            check_demotion(locked.standard_id, actor=actor, now=now)
        transaction.on_commit(
            partial(
                signals.request_reviewed.send,
                sender=BypassRequest,
                request_id=locked.pk,
                reviewer_id=actor.pk,
                outcome=str(outcome),
                misfit=misfit,
                proposal=proposal,
            )
        )
    return review


def open_review(request: BypassRequest, *, actor: Any, now: datetime) -> None:
    """A used bypass that ended goes to review (the sweep calls this; caller holds the lock)."""
    request.review_due_at = now + limits.REVIEW_DUE
    request.reminded_at = None
    event = move(
        request,
        "await_review",
        actor=actor,
        event="bypass.review_opened",
        payload={"due_at": request.review_due_at.isoformat(), "uses": request.uses_count},
        fields=["review_due_at", "reminded_at"],
        now=now,
    )
    from .breakglass import notify

    notify(event.seq)


def remind_review(request: BypassRequest, *, actor: Any, now: datetime) -> None:
    request.reminded_at = now
    request.save(update_fields=["reminded_at"])
    event = ledger.append(
        "bypass.review_reminded",
        request=request,
        actor=actor,
        payload={"due_at": request.review_due_at.isoformat() if request.review_due_at else None},
    )
    from .breakglass import notify

    notify(event.seq)
