"""What the process owner maintains: standard-change templates, authorities, the matrix and
freeze windows. Templates are proposed by analysts and become active only when a process owner
approves them; an edit by anyone else sends a template back for approval."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from changes import access
from changes.choices import Category, DecisionRule, RiskClass, TemplateStatus
from changes.models import AuthorityRule, ChangeAuthority, ChangeTemplate, FreezeWindow
from org.models import BusinessService, User
from servicedesk import clock
from servicedesk.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed

from .lifecycle import TEXT_MAX, TITLE_MAX, _clean_text

TEMPLATE_FIELDS = (
    "title",
    "procedure",
    "category",
    "implementation_plan",
    "backout_plan",
    "test_plan",
    "max_duration",
    "failure_threshold",
    "min_sample",
)
MAX_TEMPLATE_DURATION = timedelta(hours=24)


def _require_process_owner(actor: User, what: str) -> None:
    if not access.is_process_owner(actor):
        raise PermissionDenied(f"{what} is for process owners.", code="change.permission.process")


def _clean_template(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "title" in out:
        out["title"] = _clean_text(out["title"], field="Title", required=True, max_length=TITLE_MAX)
    if "procedure" in out:
        out["procedure"] = _clean_text(out["procedure"], field="Procedure", required=True)
    for name in ("implementation_plan", "backout_plan", "test_plan"):
        if name in out:
            out[name] = _clean_text(out[name], field=name.replace("_", " ").capitalize())
    if "category" in out and out["category"] not in Category.values:
        raise ValidationFailed(f"Unknown category {out['category']!r}.")
    duration = out.get("max_duration")
    if duration is not None and not timedelta(0) < duration <= MAX_TEMPLATE_DURATION:
        raise ValidationFailed("A standard change lasts more than 0 and at most 24 hours.")
    threshold = out.get("failure_threshold")
    if threshold is not None and not Decimal(0) <= Decimal(threshold) <= Decimal(1):
        raise ValidationFailed("The failure threshold is a share between 0 and 1.")
    return out


def template_propose(
    *,
    actor: User,
    title: str,
    procedure: str,
    services: Sequence[BusinessService] = (),
    **fields: Any,
) -> ChangeTemplate:
    """A new template, awaiting the process owner's approval (a process owner's own proposal
    still needs a second look: approving it is a separate step)."""
    if not access.may_propose_template(actor):
        raise PermissionDenied(
            "Analysts, managers and process owners propose standard changes.",
            code="change.permission.template",
        )
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown fields: {', '.join(sorted(unknown))}.")
    fields = _clean_template({"title": title, "procedure": procedure, **fields})
    with transaction.atomic():
        if ChangeTemplate.objects.filter(title__iexact=fields["title"]).exists():
            raise Conflict(f"A template called “{fields['title']}” already exists.")
        template = ChangeTemplate.objects.create(owner=actor, created_at=clock.now(), **fields)
        template.services.set(services)
    return template


def template_update(
    *,
    template: ChangeTemplate,
    actor: User,
    services: Sequence[BusinessService] | None = None,
    **fields: Any,
) -> ChangeTemplate:
    """Edit a template. Unless a process owner edits it, it goes back for approval."""
    owner = access.is_process_owner(actor)
    if not (owner or template.owner_id == actor.pk):
        raise PermissionDenied(
            "Only the template's owner or a process owner may edit it.",
            code="change.permission.template",
        )
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown fields: {', '.join(sorted(unknown))}.")
    fields = _clean_template(fields)
    with transaction.atomic():
        locked = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        update = [*fields, "updated_at"]
        if not owner and locked.status == TemplateStatus.ACTIVE:
            locked.status = TemplateStatus.PROPOSED
            locked.approved_by = None
            locked.approved_at = None
            update += ["status", "approved_by", "approved_at"]
        try:
            locked.save(update_fields=update)
        except IntegrityError:
            raise Conflict("Another template already has this title.") from None
        if services is not None:
            locked.services.set(services)
    return locked


def template_approve(*, template: ChangeTemplate, actor: User) -> ChangeTemplate:
    _require_process_owner(actor, "Approving a standard change template")
    with transaction.atomic():
        locked = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
        if locked.status == TemplateStatus.ACTIVE:
            raise TransitionNotAllowed(f"“{locked.title}” is already active.")
        locked.status = TemplateStatus.ACTIVE
        locked.approved_by = actor
        locked.approved_at = clock.now()
        locked.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return locked


def template_suspend(*, template: ChangeTemplate, actor: User) -> ChangeTemplate:
    """Take a template out of use (e.g. flagged for failing too often). Changes already
    scheduled from it stand; new ones are refused."""
    _require_process_owner(actor, "Suspending a standard change template")
    with transaction.atomic():
        locked = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
        if locked.status == TemplateStatus.SUSPENDED:
            raise TransitionNotAllowed(f"“{locked.title}” is already suspended.")
        locked.status = TemplateStatus.SUSPENDED
        locked.save(update_fields=["status", "updated_at"])
    return locked


def authority_save(
    *,
    actor: User,
    authority: ChangeAuthority | None = None,
    name: str,
    rule: str = DecisionRule.ANY,
    required: int = 1,
    members: Sequence[User] = (),
    is_emergency: bool = False,
    description: str = "",
    slug: str = "",
) -> ChangeAuthority:
    """Create or edit an authority. Changes awaiting it are evaluated against the new members
    at their next decision."""
    _require_process_owner(actor, "Managing change authorities")
    name = _clean_text(name, field="Name", required=True, max_length=120)
    description = _clean_text(description, field="Description", max_length=TEXT_MAX)
    if rule not in DecisionRule.values:
        raise ValidationFailed(f"Unknown decision rule {rule!r}.")
    if required < 1:
        raise ValidationFailed("At least one approval is required.")
    if rule == DecisionRule.N_OF_M and required > len(members):
        raise ValidationFailed(
            f"{required} of {len(members)} cannot be reached: add members or lower n."
        )
    slug = slugify(slug or name)[:60]
    with transaction.atomic():
        target = authority or ChangeAuthority()
        target.name, target.slug, target.rule, target.required = name, slug, rule, required
        target.is_emergency, target.description = is_emergency, description
        try:
            with transaction.atomic():
                target.save()
        except IntegrityError:
            raise Conflict(f"An authority called “{name}” already exists.") from None
        target.members.set(members)
    return target


def matrix_set(
    *, actor: User, category: str, risk_class: str, authorities: Sequence[ChangeAuthority]
) -> list[AuthorityRule]:
    """Replace the chain for one (category, risk class) cell. Empty: the cell is cleared and
    such changes cannot be submitted until it is set."""
    _require_process_owner(actor, "Editing the authority matrix")
    if category not in Category.values:
        raise ValidationFailed(f"Unknown category {category!r}.")
    if risk_class not in RiskClass.values:
        raise ValidationFailed(f"Unknown risk class {risk_class!r}.")
    if len({a.pk for a in authorities}) != len(authorities):
        raise ValidationFailed("An authority appears only once in a chain.")
    with transaction.atomic():
        AuthorityRule.objects.filter(category=category, risk_class=risk_class).delete()
        return [
            AuthorityRule.objects.create(
                category=category, risk_class=risk_class, position=i, authority=a
            )
            for i, a in enumerate(authorities, start=1)
        ]


def freeze_create(
    *,
    actor: User,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    services: Sequence[BusinessService] = (),
) -> FreezeWindow:
    _require_process_owner(actor, "Declaring freeze windows")
    name = _clean_text(name, field="Name", required=True, max_length=120)
    reason = _clean_text(reason, field="Reason", required=True, max_length=2000)
    if ends_at <= starts_at:
        raise ValidationFailed(
            "A freeze window ends after it starts.", details={"ends_at": ["before starts_at"]}
        )
    with transaction.atomic():
        freeze = FreezeWindow.objects.create(
            name=name,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            created_by=actor,
            created_at=clock.now(),
        )
        freeze.services.set(services)
    return freeze


def freeze_lift(*, freeze: FreezeWindow, actor: User) -> FreezeWindow:
    _require_process_owner(actor, "Lifting freeze windows")
    with transaction.atomic():
        locked = FreezeWindow.objects.select_for_update().get(pk=freeze.pk)
        if not locked.is_active:
            raise TransitionNotAllowed(f"“{locked.name}” is already lifted.")
        locked.is_active = False
        locked.save(update_fields=["is_active"])
    return locked
