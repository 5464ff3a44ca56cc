"""The only writers of the register: suggest, the transitions, reassign, vote, add evidence."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from bypass import gates
from org.models import BusinessService, User
from servicedesk import clock
from servicedesk.errors import Conflict, PermissionDenied, ValidationFailed

from .. import access, evidence
from ..choices import FINAL_STATUSES, Source, Status, Topic
from ..guards import Ctx
from ..limits import EVIDENCE_MAX, GATE_ID_MAX, TEXT_MAX, TITLE_MAX
from ..models import Improvement, ImprovementEvidence
from ..transitions import IMPROVEMENT
from .events import improvement_event

DEFAULT_OWNER_GROUP = "Process owners"


def _text(value: Any, *, field: str, label: str, max_length: int, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{label} is required.", details={"field": field})
    if len(text) > max_length:
        raise ValidationFailed(
            f"{label} is at most {max_length} characters.", details={"field": field}
        )
    return text


def owner_for(*, gate_id: str, service: BusinessService | None) -> tuple[User | None, str]:
    """Who owns a suggestion: the gate's owner group; else the service's owning team's lead;
    else the process owners."""
    gate = gates.get(gate_id) if gate_id else None
    if gate is not None:
        return None, gate.owner
    if service is not None and service.owner_team.lead_id is not None:
        lead = service.owner_team.lead
        if lead is not None and lead.is_active:
            return lead, ""
    return None, DEFAULT_OWNER_GROUP


def improvement_suggest(
    *,
    actor: User,
    title: str,
    description: str,
    topic: str = Topic.PROCESS,
    service: BusinessService | None = None,
    gate_id: str = "",
    evidence_refs: Sequence[tuple[str, int]] = (),
    source: str = Source.PERSON,
    source_key: str = "",
    system_evidence: Sequence[evidence.Target] = (),
) -> Improvement:
    """Record a suggestion. ``evidence_refs`` are (kind, id) pairs the actor must be able to
    see; ``system_evidence`` is already resolved by a feed. With a ``source_key`` the same
    source feeds the register once: a second call returns the first item unchanged."""
    title = _text(title, field="title", label="A title", max_length=TITLE_MAX, required=True)
    description = _text(
        description, field="description", label="A description", max_length=TEXT_MAX, required=True
    )
    if topic not in Topic.values:
        raise ValidationFailed(f"Unknown topic {topic!r}.", details={"field": "topic"})
    if topic == Topic.SERVICE and service is None:
        raise ValidationFailed(
            "Name the service this improvement is about.", details={"field": "service_id"}
        )
    gate_id = _text(
        gate_id, field="gate_id", label="A gate", max_length=GATE_ID_MAX, required=False
    )
    if gate_id and gates.get(gate_id) is None:
        raise ValidationFailed(f"No gate {gate_id!r}.", details={"field": "gate_id"})
    if len(evidence_refs) + len(system_evidence) > EVIDENCE_MAX:
        raise ValidationFailed(
            f"At most {EVIDENCE_MAX} pieces of evidence.", details={"field": "evidence"}
        )
    targets = [evidence.resolve(user=actor, kind=k, object_id=pk) for k, pk in evidence_refs]
    targets += list(system_evidence)
    if source_key:
        existing = Improvement.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
    owner, owner_group = owner_for(gate_id=gate_id, service=service)
    now = clock.now()
    try:
        with transaction.atomic():
            row = Improvement.objects.create(
                title=title,
                description=description,
                topic=topic,
                service=service,
                gate_id=gate_id,
                suggested_by=actor,
                owner=owner,
                owner_group=owner_group,
                source=source,
                source_key=source_key,
                created_at=now,
                updated_at=now,
            )
            _add_evidence(row, targets, actor=actor)
            improvement_event(
                row,
                "improvement.suggested",
                actor=actor,
                to_status=row.status,
                payload={
                    "source": source,
                    "evidence": [f"{t.kind}:{t.object_id}" for t in targets],
                },
                notify=True,
            )
    except IntegrityError:
        if not source_key:
            raise
        return Improvement.objects.get(source_key=source_key)  # a concurrent feed won
    return row


def _add_evidence(row: Improvement, targets: Iterable[evidence.Target], *, actor: User) -> None:
    ImprovementEvidence.objects.bulk_create(
        [
            ImprovementEvidence(
                improvement=row,
                kind=t.kind,
                object_id=t.object_id,
                ref=t.ref,
                url=t.url,
                added_by=actor,
            )
            for t in targets
        ],
        ignore_conflicts=True,
    )


def _lock(improvement: Improvement | int) -> Improvement:
    pk = improvement.pk if isinstance(improvement, Improvement) else improvement
    return Improvement.objects.select_for_update().get(pk=pk)


def _transition(
    improvement: Improvement | int, action: str, *, actor: User, reason: str = ""
) -> Improvement:
    with transaction.atomic():
        locked = _lock(improvement)
        transition = IMPROVEMENT.check(locked.status, action)
        now = clock.now()
        IMPROVEMENT.run_guards(
            transition, Ctx(obj=locked, actor=actor, now=now, data={"reason": reason})
        )
        from_status = locked.status
        locked.status = transition.target
        locked.updated_at = now
        fields = ["status", "updated_at"]
        if from_status == Status.SUGGESTED:
            locked.decided_at = now
            fields.append("decided_at")
        if transition.target == Status.DONE:
            locked.done_at = now
            fields.append("done_at")
        if transition.target == Status.DECLINED:
            locked.decline_reason = reason.strip()
            fields.append("decline_reason")
        locked.save(update_fields=fields)
        improvement_event(
            locked,
            f"improvement.{transition.target}",
            actor=actor,
            from_status=from_status,
            to_status=locked.status,
            reason=locked.decline_reason if transition.target == Status.DECLINED else "",
            notify=True,
        )
    return locked


def improvement_accept(*, improvement: Improvement | int, actor: User) -> Improvement:
    return _transition(improvement, "accept", actor=actor)


def improvement_start(*, improvement: Improvement | int, actor: User) -> Improvement:
    return _transition(improvement, "start", actor=actor)


def improvement_complete(*, improvement: Improvement | int, actor: User) -> Improvement:
    return _transition(improvement, "complete", actor=actor)


def improvement_decline(*, improvement: Improvement | int, actor: User, reason: str) -> Improvement:
    reason = _text(reason, field="reason", label="A reason", max_length=2000, required=False)
    return _transition(improvement, "decline", actor=actor, reason=reason)


def improvement_reassign(
    *, improvement: Improvement | int, owner: User, actor: User
) -> Improvement:
    """A process owner (or an admin) hands the item to a person."""
    if not access.is_steward(actor):
        raise PermissionDenied(
            "Only a process owner or an admin may reassign an improvement.",
            code="improvement.permission.reassign",
        )
    if not owner.is_active:
        raise ValidationFailed(
            f"{owner.name} is no longer active and cannot own an improvement.",
            details={"field": "owner_id"},
        )
    with transaction.atomic():
        locked = _lock(improvement)
        if locked.status in FINAL_STATUSES:
            raise Conflict(
                f"{locked.ref} is {locked.get_status_display().lower()}: there is nothing "
                "left to own.",
                code="improvement.final",
            )
        if locked.owner_id == owner.pk:
            return locked
        previous = locked.owner.name if locked.owner else (locked.owner_group or "nobody")
        locked.owner = owner
        locked.updated_at = clock.now()
        locked.save(update_fields=["owner", "updated_at"])
        improvement_event(
            locked,
            "improvement.reassigned",
            actor=actor,
            payload={"from": previous, "to": owner.name, "owner_id": owner.pk},
            notify=True,
        )
    return locked


def improvement_vote_toggle(
    *, improvement: Improvement | int, actor: User
) -> tuple[Improvement, bool]:
    """Vote for it, or withdraw the vote already given. Returns the item and whether the actor
    now votes for it. Voting closes when the item is done or declined."""
    with transaction.atomic():
        locked = _lock(improvement)
        if locked.status in FINAL_STATUSES:
            raise Conflict(
                f"Voting is closed: {locked.ref} is {locked.get_status_display().lower()}.",
                code="improvement.voting_closed",
            )
        deleted, _ = locked.votes.filter(voter=actor).delete()
        if deleted:
            delta, voted, type_ = -1, False, "improvement.unvoted"
        else:
            locked.votes.create(voter=actor, created_at=clock.now())
            delta, voted, type_ = 1, True, "improvement.voted"
        Improvement.objects.filter(pk=locked.pk).update(votes_count=F("votes_count") + delta)
        locked.refresh_from_db(fields=["votes_count"])
        improvement_event(locked, type_, actor=actor, payload={"votes": locked.votes_count})
    return locked, voted


def improvement_add_evidence(
    *, improvement: Improvement | int, actor: User, kind: str, object_id: int
) -> Improvement:
    """Link more evidence: the suggester or whoever owns the item."""
    target = evidence.resolve(user=actor, kind=kind, object_id=object_id)
    with transaction.atomic():
        locked = _lock(improvement)
        if not (locked.suggested_by_id == actor.pk or access.owns(actor, locked)):
            raise PermissionDenied(
                "Only the person who suggested it or its owner may add evidence.",
                code="improvement.permission.evidence",
            )
        if locked.evidence.count() >= EVIDENCE_MAX:
            raise ValidationFailed(
                f"At most {EVIDENCE_MAX} pieces of evidence.", details={"field": "evidence"}
            )
        _add_evidence(locked, [target], actor=actor)
        improvement_event(
            locked,
            "improvement.evidence_added",
            actor=actor,
            payload={"evidence": f"{target.kind}:{target.object_id}", "ref": target.ref},
        )
    return locked
