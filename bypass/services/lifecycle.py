"""Time-driven and closing transitions: activate at valid-from, expire at valid-until, lapse
what nobody decided (never approved by timeout), remind and escalate, revoke, close. The
minute sweep runs them in bounded batches with ``skip_locked``, so several workers can run it
at once and running it twice changes nothing the second time. Authorisation never depends on
the sweep: gates compare validity with the database clock at the moment of use."""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from org.models import User
from org.services import system_actor
from servicedesk import clock
from servicedesk.errors import DomainError, GuardFailed, PermissionDenied

from .. import approvals, gates, limits
from ..choices import ENDED_STATES, PENDING_STATES, RATIFICATION_STATES, REVIEWABLE_STATES, State
from ..models import BypassRequest
from .common import clean_text, lock, move

log = logging.getLogger(__name__)


def activate_if_due(request: BypassRequest, *, actor: Any, now: datetime) -> None:
    if request.state == State.APPROVED and request.valid_from <= now < request.valid_until:
        request.activated_at = now
        move(
            request,
            "activate",
            actor=actor,
            event="bypass.activated",
            payload={"valid_until": request.valid_until.isoformat()},
            fields=["activated_at"],
            now=now,
        )
        hook = gates.activation_hook(request.subject_type)
        if hook is not None:
            try:
                with transaction.atomic():
                    hook(request.subject_id)
            except DomainError:  # the subject moved on; the bypass stays usable at its gate
                log.warning("activation hook refused for %s", request.ref, exc_info=True)
            request.refresh_from_db()  # the hook may have used it


def bypass_revoke(*, request: BypassRequest | int, actor: User, reason: str) -> BypassRequest:
    """Approvers of the request, process owners and admins may revoke; a reason is required."""
    from org.choices import Role

    reason = clean_text(reason, field="Reason", required=True)
    with transaction.atomic():
        locked = lock(request)
        plan = approvals.Plan.from_dict(locked.plan)
        if not (
            actor.pk in plan.approver_ids
            or actor.has_role(Role.PROCESS_OWNER)
            or actor.has_role(Role.ADMIN)
        ):
            raise PermissionDenied(
                f"Only an approver of {locked.ref} or a process owner may revoke it.",
                code="bypass.permission.revoke",
            )
        now = clock.now()
        if locked.state == State.BREAK_GLASS:  # it stops, and still needs its verdict
            from .breakglass import stop

            stop(locked, actor=actor, now=now, why=f"revoked: {reason}")
            return locked
        locked.ended_at = now
        move(
            locked,
            "revoke",
            actor=actor,
            event="bypass.revoked",
            payload={"reason": reason},
            fields=["ended_at"],
            now=now,
        )
    return locked


def bypass_close(*, request: BypassRequest | int, actor: Any) -> BypassRequest:
    from .review import needs_review

    with transaction.atomic():
        locked = lock(request)
        if needs_review(locked):
            raise GuardFailed(
                f"{locked.ref} was used: it closes when its review after use is written.",
                guard="bypass.review.required",
            )
        now = clock.now()
        locked.closed_at = now
        move(locked, "close", actor=actor, event="bypass.closed", fields=["closed_at"], now=now)
    return locked


def _hours(request: BypassRequest, name: str, default: int) -> timedelta:
    policy = request.policy
    return timedelta(hours=getattr(policy, name, default) if policy else default)


def _step(pk: int, states: set[str], fn: Any) -> bool:
    """Lock one row if nobody else holds it and it is still in ``states``; apply ``fn``."""
    with transaction.atomic():
        row = (
            BypassRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("policy")
            .filter(pk=pk, state__in=states)
            .first()
        )
        if row is None:
            return False
        return bool(fn(row))


def bypass_sweep(*, now: datetime | None = None, batch: int = limits.SWEEP_BATCH) -> dict[str, int]:
    """One pass of the minute sweep. Returns what it did, by kind."""
    now = now or clock.now()
    bot = system_actor()
    done = dict.fromkeys(
        [
            "activated",
            "expired",
            "lapsed",
            "reminded",
            "escalated",
            "closed",
            "glass_stopped",
            "ratification_overdue",
            "to_review",
            "review_reminded",
        ],
        0,
    )

    def activate(row: BypassRequest) -> bool:
        if row.valid_until <= now:
            return False
        activate_if_due(row, actor=bot, now=now)
        return row.state == State.ACTIVE

    def expire(row: BypassRequest) -> bool:
        row.ended_at = now
        move(row, "expire", actor=bot, event="bypass.expired", fields=["ended_at"], now=now)
        return True

    def lapse_unused(row: BypassRequest) -> bool:
        row.ended_at = now
        move(
            row,
            "lapse",
            actor=bot,
            event="bypass.lapsed",
            payload={"why": "approved but its validity ended before any use"},
            fields=["ended_at"],
            now=now,
        )
        return True

    def review_clock(row: BypassRequest) -> bool:
        since = row.submitted_at or row.created_at
        if now >= since + _hours(row, "lapse_after_hours", 72):
            row.ended_at = now
            move(
                row,
                "lapse",
                actor=bot,
                event="bypass.lapsed",
                payload={"why": "no decision in time; nothing is approved by timeout"},
                fields=["ended_at"],
                now=now,
            )
            done["lapsed"] += 1
        elif (
            row.state == State.IN_REVIEW
            and row.escalated_at is None
            and now >= since + _hours(row, "escalate_after_hours", 24)
        ):
            _escalate(row, actor=bot, now=now)
            done["escalated"] += 1
        elif row.reminded_at is None and now >= since + _hours(row, "remind_after_hours", 4):
            row.reminded_at = now
            row.save(update_fields=["reminded_at"])
            from .. import ledger

            event = ledger.append(
                "bypass.reminded",
                request=row,
                actor=bot,
                payload={"approvers": sorted(approvals.Plan.from_dict(row.plan).approver_ids)},
            )
            _notify(event.seq)
            done["reminded"] += 1
        return False

    def ids(qs: Any) -> list[int]:
        return list(qs.order_by("pk").values_list("pk", flat=True)[:batch])

    for pk in ids(
        BypassRequest.objects.filter(state=State.APPROVED, valid_from__lte=now, valid_until__gt=now)
    ):
        done["activated"] += _step(pk, {State.APPROVED}, activate)
    for pk in ids(BypassRequest.objects.filter(state=State.ACTIVE, valid_until__lte=now)):
        done["expired"] += _step(pk, {State.ACTIVE}, expire)
    for pk in ids(BypassRequest.objects.filter(state=State.APPROVED, valid_until__lte=now)):
        done["lapsed"] += _step(pk, {State.APPROVED}, lapse_unused)
    for pk in ids(BypassRequest.objects.filter(state__in=PENDING_STATES)):
        _step(pk, set(PENDING_STATES), review_clock)
    _sweep_after_use(now, bot, batch, done)
    return done


def _sweep_after_use(now: datetime, bot: Any, batch: int, done: dict[str, int]) -> None:
    """Break-glass grants whose time is up stop; overdue ratifications escalate to the next
    authority (once; they stay in the inbox until decided); used bypasses that ended go to
    review; overdue reviews are chased once a day."""
    from .breakglass import stop
    from .review import open_review, remind_review

    def ids(qs: Any) -> list[int]:
        return list(qs.order_by("pk").values_list("pk", flat=True)[:batch])

    def glass_ends(row: BypassRequest) -> bool:
        if row.valid_until > now:
            return False
        stop(row, actor=bot, now=now, why="its time ran out")
        return True

    def overdue(row: BypassRequest) -> bool:
        if row.escalated_at is not None or row.ratification or not row.ratification_due_at:
            return False
        from .. import ledger

        ledger.append(
            "bypass.ratification_overdue",
            request=row,
            actor=bot,
            payload={"due_at": row.ratification_due_at.isoformat()},
        )
        _escalate(row, actor=bot, now=now)
        return True

    def to_review(row: BypassRequest) -> bool:
        if row.uses_count == 0:
            return False
        open_review(row, actor=bot, now=now)
        return True

    def chase(row: BypassRequest) -> bool:
        if row.review_due_at is None or row.review_due_at > now:
            return False
        if row.reminded_at is not None and row.reminded_at > now - limits.REVIEW_REMIND_EVERY:
            return False
        remind_review(row, actor=bot, now=now)
        return True

    glass: set[str] = {State.BREAK_GLASS}
    for pk in ids(BypassRequest.objects.filter(state=State.BREAK_GLASS, valid_until__lte=now)):
        done["glass_stopped"] += _step(pk, glass, glass_ends)
    for pk in ids(
        BypassRequest.objects.filter(
            state__in=RATIFICATION_STATES, ratification_due_at__lte=now, escalated_at=None
        )
    ):
        done["ratification_overdue"] += _step(pk, set(RATIFICATION_STATES), overdue)
    for pk in ids(BypassRequest.objects.filter(state__in=REVIEWABLE_STATES, uses_count__gt=0)):
        done["to_review"] += _step(pk, set(REVIEWABLE_STATES), to_review)
    for pk in ids(BypassRequest.objects.filter(state=State.UNDER_REVIEW, review_due_at__lte=now)):
        done["review_reminded"] += _step(pk, {str(State.UNDER_REVIEW)}, chase)


def _escalate(row: BypassRequest, *, actor: Any, now: datetime) -> None:
    """Add the policy's fallback authority as further approvers (a human still decides)."""
    from .. import ledger
    from .requests import _plan

    row.escalated_at = now
    plan = approvals.Plan.from_dict(row.plan)
    added: list[int] = []
    fallback = row.policy.fallback_group if row.policy else ""
    if fallback and fallback not in plan.eligible:
        snapshot = row.snapshot or {}
        parties = approvals.Parties(
            requester_id=row.requester_id,
            beneficiary_id=row.beneficiary_id,
            requester_chain=tuple(snapshot.get("requester", {}).get("manager_chain", ())),
            beneficiary_chain=tuple(snapshot.get("beneficiary", {}).get("manager_chain", ())),
        )
        extra = _plan({"group": fallback, "required": 1}, parties, row.risk_class)
        added = extra.eligible.get(fallback, [])
        plan.rule = {"any": [plan.rule, {"group": fallback, "required": 1}]}
        plan.eligible[fallback] = added
        plan.excluded += [p for p in extra.excluded if p not in plan.excluded]
        plan.independent_ids = sorted({*plan.independent_ids, *extra.independent_ids})
        row.plan = plan.as_dict()
    row.save(update_fields=["escalated_at", "plan"])
    event = ledger.append(
        "bypass.escalated",
        request=row,
        actor=actor,
        payload={"fallback": fallback, "added": added},
    )
    _notify(event.seq)


def _notify(seq: int) -> None:
    """Approvers hear of a reminder or an escalation (through the outbox, on commit)."""
    from notifications import dispatch

    from ..notifications import notify_key
    from ..tasks import bypass_notify_task

    dispatch.schedule(bypass_notify_task, seq, key=notify_key(seq))


def closable(request: BypassRequest) -> bool:
    return request.state in ENDED_STATES
