"""Authorisation decisions. Each decision is an append-only row; quorum is evaluated after each
one, under the change's row lock, and settles as soon as the outcome is certain — so two people
deciding at the same moment cannot both settle it."""

from django.db import transaction

from changes import quorum
from changes.choices import ChangeStatus, Verdict
from changes.guards import (
    Ctx,
    approver_is_member,
    authorities_approved,
    not_yet_decided,
    rejection_has_comment,
    separation_of_duties,
)
from changes.models import Change, ChangeAuthority, ChangeDecision
from org.models import User
from servicedesk import clock
from servicedesk.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed

from .events import change_event
from .lifecycle import _clean_text, authorise, reject
from .routing import eligible_member_ids
from .rows import lock_change


def change_approve(*, change: Change | int, actor: User, comment: str = "") -> Change:
    return change_decide(change=change, actor=actor, verdict=Verdict.APPROVE, comment=comment)


def change_reject(*, change: Change | int, actor: User, comment: str) -> Change:
    return change_decide(change=change, actor=actor, verdict=Verdict.REJECT, comment=comment)


def change_decide(*, change: Change | int, actor: User, verdict: str, comment: str = "") -> Change:
    if verdict not in Verdict.values:
        raise ValidationFailed(f"Unknown verdict {verdict!r}.")
    comment = _clean_text(comment, field="Comment", max_length=4000)
    with transaction.atomic():
        locked = lock_change(change)
        now = clock.now()
        if locked.status != ChangeStatus.ASSESSED or locked.current_authority_id is None:
            raise TransitionNotAllowed(
                f"{locked.ref} is {locked.get_status_display().lower()}; it is not awaiting "
                "authorisation.",
                details={"status": locked.status, "action": verdict},
            )
        authority = ChangeAuthority.objects.prefetch_related("members").get(
            pk=locked.current_authority_id
        )
        member_ids = {u.pk for u in authority.members.all() if u.is_active}
        decisions = list(
            ChangeDecision.objects.filter(
                change=locked, revision=locked.revision, stage=locked.stage
            )
        )
        ctx = Ctx(
            obj=locked,
            actor=actor,
            now=now,
            action=verdict,
            data={
                "authority": authority,
                "member_ids": member_ids,
                "verdict": verdict,
                "comment": comment,
                "already_decided": any(d.approver_id == actor.pk for d in decisions),
            },
        )
        for check in (approver_is_member, separation_of_duties, not_yet_decided):
            check(ctx)
        rejection_has_comment(ctx)
        decision = ChangeDecision.objects.create(
            change=locked,
            authority=authority,
            stage=locked.stage,
            revision=locked.revision,
            approver=actor,
            approver_name=actor.name,
            verdict=verdict,
            comment=comment,
            created_at=now,
        )
        decisions.append(decision)
        eligible = eligible_member_ids(authority, locked)
        tally = quorum.Tally(
            eligible=len(eligible),
            approvals=sum(
                1 for d in decisions if d.verdict == Verdict.APPROVE and d.approver_id in eligible
            ),
            rejections=sum(
                1 for d in decisions if d.verdict == Verdict.REJECT and d.approver_id in eligible
            ),
        )
        outcome = quorum.evaluate(authority.rule, authority.required, tally)
        change_event(
            locked,
            "change.approved_by" if verdict == Verdict.APPROVE else "change.rejected_by",
            actor=actor,
            reason=comment,
            payload={
                "authority_id": authority.pk,
                "authority": authority.name,
                "stage": locked.stage,
                "revision": locked.revision,
                "approvals": tally.approvals,
                "rejections": tally.rejections,
                "eligible": tally.eligible,
                "quorum": outcome.value,
            },
        )
        if outcome == quorum.Outcome.REJECTED:
            return reject(
                locked,
                actor=actor,
                reason=f"Rejected by {authority.name}: {comment}"
                if comment
                else f"Rejected by {authority.name}.",
                now=now,
            )
        if outcome == quorum.Outcome.PENDING:
            return locked
        chain = list(locked.authority_chain)
        if locked.stage + 1 < len(chain):
            locked.stage += 1
            locked.current_authority_id = chain[locked.stage]
            locked.save(update_fields=["stage", "current_authority", "updated_at"])
            change_event(
                locked,
                "change.stage_approved",
                actor=actor,
                payload={"authority_id": authority.pk, "next_authority_id": chain[locked.stage]},
                reason=f"{authority.name} approved; now awaiting the next authority.",
                notify=True,
            )
            return locked
        approver_ids = set(
            ChangeDecision.objects.filter(
                change=locked, revision=locked.revision, verdict=Verdict.APPROVE
            ).values_list("approver_id", flat=True)
        )
        return authorise(locked, actor=actor, approver_ids=approver_ids, now=now)


CAB_GATE = "change.normal.cab_authorization"


def pending_authority_names(change: Change) -> list[str]:
    chain = list(change.authority_chain or [])[change.stage :]
    names = dict(ChangeAuthority.objects.filter(pk__in=chain).values_list("pk", "name"))
    return [names[pk] for pk in chain if pk in names]


def change_proceed_with_bypass(*, change: Change | int, actor: User) -> Change:
    """Go past the change authority with an approved bypass of its gate. The gate is evaluated
    as always; when it still awaits an authority, an active bypass covering this change and gate
    is consumed (recorded in the bypass ledger with what the gate said) and the change is
    authorised with the bypass's approvers; otherwise the refusal names the gate and offers to
    request a bypass."""
    from bypass.choices import Verdict as BypassVerdict
    from bypass.engine import Subject, pass_gate
    from bypass.models import BypassDecision, BypassEvent
    from changes import access

    with transaction.atomic():
        locked = lock_change(change)
        now = clock.now()
        if not access.may_edit(actor, locked):
            raise PermissionDenied(
                "Only the requester, the owner team or a process owner may do this.",
                code="change.permission.edit",
            )
        if locked.status != ChangeStatus.ASSESSED or locked.current_authority_id is None:
            raise TransitionNotAllowed(
                f"{locked.ref} is {locked.get_status_display().lower()}; it is not awaiting "
                "authorisation.",
                details={"status": locked.status, "action": "proceed"},
            )
        ctx = Ctx(
            obj=locked,
            actor=actor,
            now=now,
            action="authorise",
            data={"pending_authorities": pending_authority_names(locked)},
        )
        outcome = pass_gate(
            gate_id=CAB_GATE,
            subject=Subject.of(locked),
            actor=actor,
            check=lambda: authorities_approved(ctx),
        )
        assert outcome.request is not None and outcome.use is not None
        entry = BypassEvent.objects.get(seq=outcome.use.ledger_seq)
        approver_ids = set(
            BypassDecision.objects.filter(
                request=outcome.request, verdict=BypassVerdict.APPROVE
            ).values_list("approver_id", flat=True)
        )
        change_event(
            locked,
            "change.authority_bypassed",
            actor=actor,
            reason=(
                f"{outcome.request.ref} substituted the change authority: {outcome.verdict} "
                f"Receipt #{entry.seq} {entry.hash[:16]}…"
            ),
            payload={
                "bypass": outcome.request.ref,
                "gate": CAB_GATE,
                "gate_said": outcome.verdict,
                "receipt": {"seq": entry.seq, "hash": entry.hash},
                "approver_ids": sorted(approver_ids),
            },
        )
        return authorise(locked, actor=actor, approver_ids=approver_ids, now=now)
