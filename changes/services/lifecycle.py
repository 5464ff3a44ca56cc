"""Change creation, edits and every lifecycle transition."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from changes import access, risk
from changes.choices import (
    OPEN_STATUSES,
    REVISABLE_STATUSES,
    Category,
    ChangeStatus,
    ChangeType,
    Complexity,
    Impact,
    Outcome,
    TemplateStatus,
)
from changes.guards import Ctx, refuse
from changes.models import Change, ChangeAuthority, ChangeTemplate
from changes.transitions import CHANGE
from org.models import BusinessService, Team, User
from org.services import system_actor
from servicedesk import clock
from servicedesk.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from servicedesk.transitions import Transition

from .events import change_event
from .routing import route
from .rows import lock_change as _lock

TITLE_MAX = 200
TEXT_MAX = 20000
CI_MAX = 2000

# Fields an edit may change. After submission, changing any of them voids the approvals.
TEXT_FIELDS = (
    "title",
    "description",
    "configuration_items",
    "implementation_plan",
    "backout_plan",
    "test_plan",
)
EDITABLE = (
    *TEXT_FIELDS,
    "category",
    "owner_team",
    "implementer",
    "planned_start",
    "planned_end",
    "impact_if_fails",
    "complexity",
    "tested",
    "backout_tested",
    "service_tier",
)


@dataclass
class Step:
    change: Change
    transition: Transition
    from_status: str
    actor: User
    now: datetime
    bypasses: list[dict[str, Any]] = field(default_factory=list)


def _service_ids(change: Change) -> list[int]:
    return list(change.services.values_list("pk", flat=True))


def _begin(
    change: Change | int,
    action: str,
    actor: User,
    *,
    data: dict[str, Any] | None = None,
    automatic: bool = False,
    now: datetime | None = None,
    locked: Change | None = None,
) -> Step:
    """Lock the row, check the transition table, run the guards. Call inside a transaction."""
    locked = locked or _lock(change)
    transition = CHANGE.check(locked.status, action)
    now = now or clock.now()
    data = {"service_ids": _service_ids(locked), **(data or {})}
    ctx = Ctx(obj=locked, actor=actor, now=now, data=data, automatic=automatic, action=action)
    bypasses = run_gates(transition, ctx)
    return Step(locked, transition, locked.status, actor, now, bypasses)


def run_gates(transition: Transition, ctx: Ctx) -> list[dict[str, Any]]:
    """Every check and guard of the transition, each through its gate (the shared gatekeeper:
    always evaluated and counted; a refusal by a bypassable gate is passed by an active bypass
    covering this change, or raised with the offer to request one). Returns the bypasses used."""
    return CHANGE.run_gates(transition, ctx)


def _finish(
    step: Step,
    event_type: str,
    *,
    fields: Iterable[str] = (),
    reason: str = "",
    payload: dict[str, Any] | None = None,
    notify: bool = False,
) -> Change:
    change = step.change
    change.status = step.transition.target
    change.save(update_fields=[*fields, "status", "updated_at"])
    if step.bypasses:
        payload = {**(payload or {}), "bypasses": step.bypasses}
        reason = " ".join(
            [reason]
            + [
                f"{b['bypass']} bypassed {b['gate']} (receipt #{b['receipt']}): {b['gate_said']}"
                for b in step.bypasses
            ]
        ).strip()
    change_event(
        change,
        event_type,
        actor=step.actor,
        from_status=step.from_status,
        to_status=change.status,
        reason=reason,
        payload=payload,
        notify=notify,
    )
    return change


def _clean_text(value: Any, *, field: str, required: bool = False, max_length: int = TEXT_MAX):
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"{field} is required.", details={field.lower(): ["required"]})
    if len(value) > max_length:
        raise ValidationFailed(f"{field} is longer than {max_length} characters.")
    return value


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Shape and range checks shared by create and edit (the API's serializers say the same)."""
    out = dict(fields)
    for name in TEXT_FIELDS:
        if name in out:
            out[name] = _clean_text(
                out[name],
                field=name.replace("_", " ").capitalize(),
                required=name == "title",
                max_length=TITLE_MAX
                if name == "title"
                else CI_MAX
                if name == "configuration_items"
                else TEXT_MAX,
            )
    if "category" in out and out["category"] not in Category.values:
        raise ValidationFailed(f"Unknown category {out['category']!r}.")
    if out.get("impact_if_fails") is not None and out["impact_if_fails"] not in Impact.values:
        raise ValidationFailed("Impact if it fails is 1 (critical) to 4 (low).")
    if out.get("complexity") and out["complexity"] not in Complexity.values:
        raise ValidationFailed(f"Unknown complexity {out['complexity']!r}.")
    if out.get("service_tier") is not None and out["service_tier"] not in (1, 2, 3, 4):
        raise ValidationFailed("Service tier is 1 (critical) to 4 (low).")
    if "complexity" in out and out["complexity"] is None:
        out["complexity"] = ""
    return out


def _check_window(change: Change) -> None:
    if change.planned_start and change.planned_end and change.planned_end <= change.planned_start:
        raise ValidationFailed(
            "The planned end must be after the planned start.",
            details={"planned_end": ["must be after planned_start"]},
        )


def _default_tier(change: Change, services: Sequence[BusinessService]) -> None:
    """The most critical affected service's tier answers the questionnaire's last question,
    unless the requester answered it."""
    if change.service_tier is None and services:
        change.service_tier = min(s.tier for s in services)


def change_create(
    *,
    actor: User,
    title: str = "",
    type: str = ChangeType.NORMAL,
    template: ChangeTemplate | None = None,
    services: Sequence[BusinessService] = (),
    submit: bool = False,
    **fields: Any,
) -> Change:
    """File a change (a draft), from a standard-change template or blank. ``submit`` submits it
    at once: a standard change then goes straight to scheduled."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if type not in ChangeType.values:
        raise ValidationFailed(f"Unknown change type {type!r}.")
    if template is not None:
        template = ChangeTemplate.objects.get(pk=template.pk)  # its current status
        if template.status != TemplateStatus.ACTIVE:
            raise refuse(
                "change.model.selection",
                f"The template “{template.title}” is "
                f"{template.get_status_display().lower()}; only active templates give "
                "pre-authorised standard changes.",
            )
        type = ChangeType.STANDARD
        title = title or template.title
        fields.setdefault("category", template.category)
        for plan in ("implementation_plan", "backout_plan", "test_plan"):
            if not (fields.get(plan) or "").strip():
                fields[plan] = getattr(template, plan)
        if not fields["implementation_plan"].strip():
            fields["implementation_plan"] = template.procedure
        if not services:
            services = list(template.services.all())
        if fields.get("planned_start") and not fields.get("planned_end"):
            fields["planned_end"] = fields["planned_start"] + template.max_duration
    elif type == ChangeType.STANDARD:
        raise refuse(
            "change.model.selection",
            "A standard change is created from an active template; choose one, or file a "
            "normal change.",
        )
    fields = _clean({"title": title, **fields})
    owner_team: Team | None = fields.get("owner_team")
    if owner_team is None and services:
        fields["owner_team"] = services[0].owner_team
    now = clock.now()
    with transaction.atomic():
        change = Change(requester=actor, type=type, template=template, created_at=now, **fields)
        _default_tier(change, services)
        _check_window(change)
        change.save()
        change.services.set(services)
        change_event(
            change,
            "change.created",
            actor=actor,
            to_status=ChangeStatus.DRAFT,
            payload={
                "type": type,
                "template_id": template.pk if template else None,
                "service_ids": [s.pk for s in services],
            },
        )
        if submit:
            change = change_submit(change=change, actor=actor)
    return change


def change_update(
    *,
    change: Change | int,
    actor: User,
    services: Sequence[BusinessService] | None = None,
    **fields: Any,
) -> Change:
    """Edit a change. A draft just changes. After submission (assessed, authorised, scheduled)
    the change is revised: the approvals given so far no longer count, and it is assessed and
    routed again."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(f"Unknown fields: {', '.join(sorted(unknown))}.")
    fields = _clean(fields)
    with transaction.atomic():
        locked = _lock(change)
        now = clock.now()
        if not access.may_edit(actor, locked):
            raise PermissionDenied(
                "Only the requester, the owner team or a process owner may edit this change.",
                code="change.permission.edit",
            )
        if locked.status != ChangeStatus.DRAFT and locked.status not in REVISABLE_STATUSES:
            raise TransitionNotAllowed(
                f"{locked.ref} is {locked.get_status_display().lower()}; it can no longer be "
                "edited.",
                details={"status": locked.status, "action": "edit"},
            )
        changed: dict[str, list[Any]] = {}
        for name, value in fields.items():
            old = getattr(locked, name)
            if old != value:
                changed[name] = [_plain(old), _plain(value)]
                setattr(locked, name, value)
        new_services = None
        if services is not None:
            old_ids = set(_service_ids(locked))
            if old_ids != {s.pk for s in services}:
                changed["services"] = [sorted(old_ids), sorted(s.pk for s in services)]
                new_services = services
        if not changed:
            return locked
        _check_window(locked)
        if new_services is not None:
            locked.services.set(new_services)
        if locked.status == ChangeStatus.DRAFT:
            locked.save(update_fields=[f for f in fields if f in changed] + ["updated_at"])
            change_event(locked, "change.updated", actor=actor, payload={"changed": changed})
            return locked
        # An edit after submission: revise, voiding the approvals, then assess again.
        step = _begin(locked, "revise", actor, now=now, locked=locked)
        voided = locked.decisions.filter(revision=locked.revision).count()
        locked.revision += 1
        locked.stage = 0
        locked.current_authority = None
        locked.authorised_at = None
        locked.scheduled_at = None
        _finish(
            step,
            "change.revised",
            fields=[
                *(f for f in fields if f in changed),
                "revision",
                "stage",
                "current_authority",
                "authorised_at",
                "scheduled_at",
            ],
            payload={"changed": changed, "approvals_voided": voided},
            reason=f"Edited after submission: {voided} approval(s) no longer count."
            if voided
            else "Edited after submission.",
        )
        return _assess(locked, now=now)


def _plain(value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def change_submit(*, change: Change | int, actor: User) -> Change:
    """Submit a draft. A standard change from an active template is pre-authorised and goes
    straight to scheduled; a normal or emergency change is assessed and routed to the authority
    that must authorise it."""
    with transaction.atomic():
        locked = _lock(change)
        if locked.type == ChangeType.STANDARD:
            step = _begin(locked, "submit_standard", actor, locked=locked)
            now = step.now
            locked.submitted_at = locked.authorised_at = locked.scheduled_at = now
            return _finish(
                step,
                "change.scheduled",
                fields=["submitted_at", "authorised_at", "scheduled_at"],
                reason=f"Pre-authorised by the standard change template “{locked.template}”.",
                payload={"template_id": locked.template_id, "pre_authorised": True},
                notify=True,
            )
        step = _begin(locked, "submit", actor, locked=locked)
        locked.submitted_at = step.now
        _finish(step, "change.submitted", fields=["submitted_at"])
        return _assess(locked, now=step.now)


def _assess(locked: Change, *, now: datetime) -> Change:
    """The system's assessment: score the risk, route to the authority chain."""
    bot = system_actor()
    answers = {q: getattr(locked, q) for q in risk.QUESTIONS}
    assessed = None if risk.missing_answers(answers) else risk.assess(answers, _weights())
    if assessed is not None:
        locked.risk_score = assessed.score
        locked.risk_class = assessed.risk_class
    chain, problem = route(locked)
    step = _begin(
        locked,
        "assess",
        bot,
        automatic=True,
        now=now,
        locked=locked,
        data={"routing_problem": problem},
    )
    locked.authority_chain = [a.pk for a in chain]
    locked.stage = 0
    locked.current_authority = chain[0]
    return _finish(
        step,
        "change.assessed",
        fields=["risk_score", "risk_class", "authority_chain", "stage", "current_authority"],
        payload={
            "risk_score": locked.risk_score,
            "risk_class": locked.risk_class,
            "contributions": assessed.contributions if assessed else {},
            "authorities": [{"id": a.pk, "name": a.name} for a in chain],
        },
        reason="Awaiting " + " then ".join(a.name for a in chain) + ".",
        notify=True,
    )


def _weights() -> dict[str, Any] | None:
    return settings.CHANGE_RISK_WEIGHTS


def authorise(locked: Change, *, actor: User, approver_ids: set[int], now: datetime) -> Change:
    """Called by the approval service once every stage approved (same transaction)."""
    step = _begin(
        locked,
        "authorise",
        actor,
        automatic=True,
        now=now,
        locked=locked,
        data={"approver_ids": approver_ids, "pending_authorities": []},
    )
    locked.authorised_at = now
    locked.current_authority = None
    fields = ["authorised_at", "current_authority"]
    if locked.type == ChangeType.EMERGENCY and not locked.documentation_complete:
        hours = settings.CHANGE_EMERGENCY_DOCUMENTATION_HOURS
        locked.documentation_due_at = now + timedelta(hours=hours)
        fields.append("documentation_due_at")
    return _finish(step, "change.authorised", fields=fields, notify=True)


def reject(locked: Change, *, actor: User, reason: str, now: datetime) -> Change:
    step = _begin(locked, "reject", actor, automatic=True, now=now, locked=locked)
    locked.current_authority = None
    return _finish(
        step, "change.rejected", fields=["current_authority"], reason=reason, notify=True
    )


def change_schedule(*, change: Change | int, actor: User) -> Change:
    """Book an authorised change's planned window (refused in a freeze or on a conflict)."""
    with transaction.atomic():
        step = _begin(change, "schedule", actor)
        step.change.scheduled_at = step.now
        return _finish(step, "change.scheduled", fields=["scheduled_at"], notify=True)


def change_start(*, change: Change | int, actor: User) -> Change:
    with transaction.atomic():
        step = _begin(change, "start", actor)
        step.change.started_at = step.now
        return _finish(step, "change.started", fields=["started_at"])


def change_complete(
    *,
    change: Change | int,
    actor: User,
    outcome: str,
    notes: str = "",
    restored_at: datetime | None = None,
) -> Change:
    """Record the end of implementation and its outcome. After a failure, ``restored_at`` is
    when service was restored (default: now, the backout being part of the work)."""
    notes = _clean_text(notes, field="Notes")
    with transaction.atomic():
        step = _begin(change, "complete", actor, data={"outcome": outcome})
        locked = step.change
        locked.outcome = outcome
        locked.ended_at = step.now
        fields = ["outcome", "ended_at"]
        if outcome != Outcome.SUCCESSFUL:
            if restored_at is not None and locked.started_at and restored_at < locked.started_at:
                raise ValidationFailed("Service cannot be restored before the change started.")
            locked.restored_at = restored_at or step.now
            fields.append("restored_at")
        return _finish(
            step,
            "change.completed",
            fields=fields,
            reason=notes,
            payload={"outcome": outcome},
            notify=outcome != Outcome.SUCCESSFUL,
        )


def change_review(*, change: Change | int, actor: User, summary: str = "", lessons: str = ""):
    """The post-implementation review (required for failed, backed-out and emergency changes
    and for changes that caused an incident)."""
    summary = _clean_text(summary, field="Summary")
    lessons = _clean_text(lessons, field="Lessons")
    with transaction.atomic():
        locked = _lock(change)
        caused = locked.incident_links.filter(relation="caused_by").exists()
        step = _begin(
            locked,
            "review",
            actor,
            locked=locked,
            data={"summary": summary, "lessons": lessons, "caused_incidents": caused},
        )
        fields = ["reviewed_at"]
        if summary:
            locked.pir_summary = summary
            fields.append("pir_summary")
        if lessons:
            locked.pir_lessons = lessons
            fields.append("pir_lessons")
        locked.reviewed_at = step.now
        return _finish(
            step,
            "change.reviewed",
            fields=fields,
            payload={"pir": bool(locked.pir_summary)},
        )


def change_close(*, change: Change | int, actor: User) -> Change:
    with transaction.atomic():
        step = _begin(change, "close", actor)
        step.change.closed_at = step.now
        return _finish(step, "change.closed", fields=["closed_at"])


def change_cancel(*, change: Change | int, actor: User, reason: str) -> Change:
    reason = _clean_text(reason, field="Reason", max_length=2000)
    with transaction.atomic():
        step = _begin(change, "cancel", actor, data={"reason": reason})
        step.change.current_authority = None
        return _finish(
            step, "change.cancelled", fields=["current_authority"], reason=reason, notify=True
        )


def change_document(
    *, change: Change | int, actor: User, backout_plan: str = "", test_plan: str = ""
) -> Change:
    """Complete the documentation an emergency change deferred. Not a material edit: the
    authorisation stands."""
    backout_plan = _clean_text(backout_plan, field="Backout plan")
    test_plan = _clean_text(test_plan, field="Test plan")
    with transaction.atomic():
        locked = _lock(change)
        if not (access.may_edit(actor, locked) or access.may_implement(actor, locked)):
            raise PermissionDenied(
                "Only the requester, the implementer or the owner team may document this change.",
                code="change.permission.edit",
            )
        if locked.status not in OPEN_STATUSES or locked.status == ChangeStatus.DRAFT:
            raise TransitionNotAllowed(
                f"{locked.ref} is {locked.get_status_display().lower()}; edit the draft instead."
                if locked.status == ChangeStatus.DRAFT
                else f"{locked.ref} is {locked.get_status_display().lower()}.",
                details={"status": locked.status, "action": "document"},
            )
        fields = []
        if backout_plan and backout_plan != locked.backout_plan:
            locked.backout_plan = backout_plan
            fields.append("backout_plan")
        if test_plan and test_plan != locked.test_plan:
            locked.test_plan = test_plan
            fields.append("test_plan")
        if not fields:
            raise ValidationFailed("Give the backout plan, the test evidence, or both.")
        locked.save(update_fields=[*fields, "updated_at"])
        change_event(
            locked,
            "change.documented",
            actor=actor,
            payload={"fields": fields, "complete": locked.documentation_complete},
        )
        return locked


def change_chase_documentation_due(*, now: datetime | None = None, batch: int = 200) -> int:
    """Chase emergency changes whose deferred documentation is overdue: one event (and e-mail)
    per change, once. A bounded batch; rows another worker holds are skipped."""
    now = now or clock.now()
    bot = system_actor()
    chased = 0
    with transaction.atomic():
        due = list(
            Change.objects.select_for_update(skip_locked=True)
            .filter(
                type=ChangeType.EMERGENCY,
                status__in=[s for s in OPEN_STATUSES if s != ChangeStatus.DRAFT],
                documentation_due_at__lte=now,
                documentation_chased_at__isnull=True,
            )
            .filter(Q(backout_plan="") | Q(test_plan=""))
            .order_by("documentation_due_at", "pk")[:batch]
        )
        for change in due:
            change.documentation_chased_at = now
            change.save(update_fields=["documentation_chased_at", "updated_at"])
            missing = [
                label
                for label, value in (
                    ("backout plan", change.backout_plan),
                    ("test evidence", change.test_plan),
                )
                if not value.strip()
            ]
            change_event(
                change,
                "change.documentation_overdue",
                actor=bot,
                reason="Emergency change documentation was due "
                f"{change.documentation_due_at:%Y-%m-%d %H:%M} UTC; missing: "
                + ", ".join(missing)
                + ".",
                payload={"missing": missing},
                notify=True,
            )
            chased += 1
    return chased


def authority_for(change: Change) -> ChangeAuthority | None:
    return change.current_authority
