"""Browser pages for changes: file and follow a change, the approver inbox, the process owner's
templates, authorities, matrix and freezes, and the week and month calendar.

Views are thin: they read through ``changes.selectors``, validate the input's shape with
``changes.forms`` and call one service per action. A ``DomainError`` re-renders the page with
its message and status; a success redirects (POST/redirect/GET)."""

import calendar as pycalendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from incidents.views.common import paginate
from org.models import User
from org.roles import request_user
from servicedesk.errors import DomainError, PermissionDenied

from . import access, selectors, services
from .api.serializers import allowed_actions
from .choices import Category, ChangeStatus, ChangeType, RiskClass
from .forms import (
    AuthorityForm,
    ChangeFilterForm,
    ChangeForm,
    CompleteForm,
    DecisionForm,
    DocumentForm,
    FreezeForm,
    LinkIncidentsForm,
    MatrixCellForm,
    ReasonForm,
    ReviewForm,
    TemplateForm,
)
from .guards import GUARDS
from .models import Change

# --- requester: list, new, detail ---------------------------------------------------------------


@login_required
def change_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = ChangeFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else {}
    page = paginate(request, selectors.change_list(user=user, filters=filters))
    return render(request, "changes/list.html", {"form": form, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def change_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    initial = {}
    if request.GET.get("template"):
        initial["template"] = request.GET["template"]
    form = ChangeForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                change = services.change_create(actor=user, **form.service_kwargs())
                if request.POST.get("submit_now"):
                    change = services.change_submit(change=change, actor=user)
            except DomainError as exc:
                form.add_error(None, refusal_text(exc))
                status = exc.status
            else:
                messages.success(request, _created_message(change))
                return redirect("change-detail", pk=change.pk)
    templates = selectors.template_list(user=user, include_inactive=False)
    return render(
        request, "changes/new.html", {"form": form, "templates": templates}, status=status
    )


def _created_message(change: Change) -> str:
    if change.status == ChangeStatus.SCHEDULED:
        return f"{change.ref} is pre-authorised and scheduled."
    if change.status == ChangeStatus.ASSESSED and change.current_authority:
        return f"{change.ref} is submitted; it awaits {change.current_authority.name}."
    return f"{change.ref} is saved as a draft. Submit it when it is ready."


def refusal_text(exc: DomainError) -> str:
    """A refusal names the step that refused and why."""
    details = exc.details if isinstance(exc.details, dict) else {}
    step = details.get("step")
    return f"{step}: {exc.message}" if step else exc.message


LABELS = {
    "submit": "Submit",
    "edit": "Edit",
    "schedule": "Schedule",
    "start": "Start implementing",
    "complete": "Complete",
    "review": "Record the review",
    "close": "Close",
    "cancel": "Cancel change",
    "document": "Add documentation",
}


@dataclass
class ActionView:
    action: str
    label: str
    form: Any
    needs_input: bool
    open: bool = False


def _run_submit(change: Change, user: User, form: Any) -> str:
    change = services.change_submit(change=change, actor=user)
    return _created_message(change)


def _run_schedule(change: Change, user: User, form: Any) -> str:
    services.change_schedule(change=change, actor=user)
    return f"{change.ref} is scheduled."


def _run_start(change: Change, user: User, form: Any) -> str:
    services.change_start(change=change, actor=user)
    return f"{change.ref} is being implemented."


def _run_complete(change: Change, user: User, form: Any) -> str:
    services.change_complete(change=change, actor=user, **form.cleaned_data)
    return f"{change.ref} is implemented."


def _run_review(change: Change, user: User, form: Any) -> str:
    services.change_review(change=change, actor=user, **form.cleaned_data)
    return f"{change.ref} is reviewed."


def _run_close(change: Change, user: User, form: Any) -> str:
    services.change_close(change=change, actor=user)
    return f"{change.ref} is closed."


def _run_cancel(change: Change, user: User, form: Any) -> str:
    services.change_cancel(change=change, actor=user, reason=form.cleaned_data["reason"])
    return f"{change.ref} is cancelled."


def _run_document(change: Change, user: User, form: Any) -> str:
    services.change_document(change=change, actor=user, **form.cleaned_data)
    return "Documentation saved."


def _run_approve(change: Change, user: User, form: Any) -> str:
    change = services.change_approve(change=change, actor=user, **form.cleaned_data)
    return f"You approved {change.ref}." + (
        " It is now authorised." if change.status == ChangeStatus.AUTHORISED else ""
    )


def _run_reject(change: Change, user: User, form: Any) -> str:
    change = services.change_reject(change=change, actor=user, **form.cleaned_data)
    return f"You rejected {change.ref}." + (
        " It is rejected." if change.status == ChangeStatus.REJECTED else ""
    )


def _run_link(change: Change, user: User, form: Any) -> str:
    linked = services.change_link_incidents(
        change=change,
        actor=user,
        incident_ids=form.cleaned_data["incidents"],
        relation=form.cleaned_data["relation"],
    )
    if not linked:
        return "Those incidents were already linked."
    return f"Linked {', '.join(i.ref for i in linked)}."


def _run_proceed(change: Change, user: User, form: Any) -> str:
    done = services.change_proceed_with_bypass(change=change, actor=user)
    return f"{done.ref} is authorised through an approved bypass of the change authority."


ACTIONS: dict[str, tuple[type[django_forms.Form], Callable[[Change, User, Any], str]]] = {
    "submit": (django_forms.Form, _run_submit),
    "schedule": (django_forms.Form, _run_schedule),
    "start": (django_forms.Form, _run_start),
    "complete": (CompleteForm, _run_complete),
    "review": (ReviewForm, _run_review),
    "close": (django_forms.Form, _run_close),
    "cancel": (ReasonForm, _run_cancel),
    "document": (DocumentForm, _run_document),
    "approve": (DecisionForm, _run_approve),
    "reject": (DecisionForm, _run_reject),
    "link": (LinkIncidentsForm, _run_link),
    "proceed": (django_forms.Form, _run_proceed),
}


def _path(change: Change) -> list[dict[str, Any]]:
    if change.type == ChangeType.STANDARD:
        steps = ["draft", "scheduled", "implementing", "implemented", "reviewed", "closed"]
    else:
        steps = [
            "draft",
            "submitted",
            "assessed",
            "authorised",
            "scheduled",
            "implementing",
            "implemented",
            "reviewed",
            "closed",
        ]
    labels = dict(ChangeStatus.choices)
    labels["assessed"] = "Assessed"
    current = steps.index(change.status) if change.status in steps else -1
    return [
        {
            "status": s,
            "label": labels[s],
            "state": "done" if i < current else "current" if i == current else "todo",
        }
        for i, s in enumerate(steps)
    ]


def _detail_page(
    request: HttpRequest,
    user: User,
    change: Change,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
    refused: dict[str, Any] | None = None,
) -> HttpResponse:
    bound = bound or {}
    possible = allowed_actions(change, user)
    actions = []
    for name in ("submit", "schedule", "start", "complete", "review", "close", "cancel"):
        if name in possible:
            form_class = ACTIONS[name][0]
            form = bound.get(name) or form_class(prefix=name)
            actions.append(
                ActionView(
                    name,
                    LABELS[name],
                    form,
                    needs_input=bool(form_class.base_fields),
                    open=name in bound,
                )
            )
    decisions = list(selectors.change_decisions(change=change))
    inbox_ids = set(
        selectors.approval_inbox(user=user).filter(pk=change.pk).values_list("pk", flat=True)
    )
    plan = selectors.authorisation_plan(change)
    links = list(selectors.change_incident_links(change=change))
    conflicts = selectors.conflicts_for([change]).get(change.pk, [])
    freezes = []
    if change.planned_start and change.planned_end:
        from .schedule import freezes_over

        freezes = list(
            freezes_over(
                start=change.planned_start,
                end=change.planned_end,
                service_ids=[s.pk for s in change.services.all()],
            )
        )
    from incidents import access as incident_access

    context = {
        "change": change,
        "path": _path(change),
        "plan": plan,
        "contributions": plan.risk.contributions if plan.risk else {},
        "decisions": decisions,
        "current_decisions": [
            d for d in decisions if d.revision == change.revision and d.stage == change.stage
        ],
        "can_decide": change.pk in inbox_ids,
        "decision_form": bound.get("approve") or bound.get("reject") or DecisionForm(prefix="d"),
        "actions": actions,
        "can_edit": "edit" in possible
        or (change.status == ChangeStatus.DRAFT and access.may_edit(user, change)),
        "can_document": change.status != ChangeStatus.DRAFT
        and change.is_open
        and not change.documentation_complete
        and (access.may_edit(user, change) or access.may_implement(user, change)),
        "document_form": bound.get("document") or DocumentForm(prefix="document"),
        "links": links,
        "can_link": incident_access.is_agent(user)
        and change.status
        not in (ChangeStatus.DRAFT, ChangeStatus.CANCELLED, ChangeStatus.REJECTED),
        "link_form": bound.get("link") or LinkIncidentsForm(prefix="link"),
        "conflicts": conflicts,
        "freezes": freezes,
        "events": list(selectors.change_events(change=change)),
        "gate_block": _gate_block(change, user),
        "bypass": refused,  # the offer a refusal at a gate carries (request / break glass)
    }
    return render(request, "changes/detail.html", context, status=status)


def _gate_block(change: Change, user: User) -> dict[str, Any] | None:
    """While a change awaits its authority, the gate that holds it, why, and the offer to
    request a bypass (pre-filled) or to proceed with one already approved."""
    if change.status != ChangeStatus.ASSESSED or change.current_authority_id is None:
        return None
    if not access.may_edit(user, change):
        return None
    from bypass.engine import Subject, offer

    from .services.approvals import CAB_GATE, pending_authority_names

    why = (
        f"{change.ref} still awaits the decision of "
        + ", ".join(pending_authority_names(change))
        + "."
    )
    return offer(CAB_GATE, Subject.of(change), why)


@login_required
def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    return _detail_page(request, user, selectors.change_get(user=user, pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def change_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request)
    change = selectors.change_get(user=user, pk=pk)
    if request.method == "GET":
        return redirect("change-detail", pk=change.pk)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    prefix = "d" if action in ("approve", "reject") else action
    form = spec[0](request.POST, prefix=prefix)
    if not form.is_valid():
        return _detail_page(request, user, change, bound={action: form}, status=400)
    try:
        message = spec[1](change, user, form)
    except DomainError as exc:
        from bypass.engine import offer_for

        messages.error(request, refusal_text(exc))
        change = selectors.change_get(user=user, pk=pk)
        return _detail_page(
            request,
            user,
            change,
            bound={action: form},
            status=exc.status,
            refused=offer_for(exc, change),
        )
    messages.success(request, message)
    if action in ("approve", "reject") and request.POST.get("next") == "inbox":
        return redirect("change-inbox")
    return redirect("change-detail", pk=change.pk)


@login_required
@require_http_methods(["GET", "POST"])
def change_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    change = selectors.change_get(user=user, pk=pk)
    form = ChangeForm(request.POST or None, initial=ChangeForm.initial_for(change), editing=True)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.service_kwargs()
            data.pop("type", None)
            data.setdefault("services", [])
            try:
                change = services.change_update(change=change, actor=user, **data)
            except DomainError as exc:
                form.add_error(None, refusal_text(exc))
                status = exc.status
            else:
                messages.success(request, "Saved.")
                return redirect("change-detail", pk=change.pk)
    return render(request, "changes/edit.html", {"form": form, "change": change}, status=status)


# --- approver inbox -------------------------------------------------------------------------------
@login_required
def change_inbox(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    page = paginate(request, selectors.approval_inbox(user=user))
    rows = list(page.object_list)
    conflicts = selectors.conflicts_for(rows)
    items = [
        {
            "change": c,
            "conflicts": conflicts.get(c.pk, []),
            "form": DecisionForm(prefix="d"),
        }
        for c in rows
    ]
    return render(request, "changes/inbox.html", {"page": page, "items": items})


# --- calendar -------------------------------------------------------------------------------------
# A day shows at most this many changes; "+ n more" leads to the day's week, then to the list.
MONTH_CELL_MAX = 6
WEEK_CELL_MAX = 40


@login_required
def change_calendar(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    view = request.GET.get("view", "week")
    if view not in ("week", "month"):
        view = "week"
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate()
    if view == "week":
        first = day - timedelta(days=day.weekday())
        days = [first + timedelta(days=i) for i in range(7)]
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    else:
        first_of_month = day.replace(day=1)
        first = first_of_month - timedelta(days=first_of_month.weekday())
        last_day = first_of_month.replace(day=pycalendar.monthrange(day.year, day.month)[1])
        last = last_day + timedelta(days=6 - last_day.weekday())
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        previous = (first_of_month - timedelta(days=1)).replace(day=1)
        following = last_day + timedelta(days=1)
    tz = timezone.get_current_timezone()
    start = datetime.combine(days[0], time.min, tzinfo=tz)
    end = datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=tz)
    cal = selectors.change_calendar(user=user, start=start, end=end)
    detail = reverse("change-detail", args=[0]).removesuffix("0/")
    for c in cal.changes:
        c.url = f"{detail}{c.pk}/"  # one reverse, not thousands
    per_cell = MONTH_CELL_MAX if view == "month" else WEEK_CELL_MAX
    cells = []
    for d in days:
        d_start = datetime.combine(d, time.min, tzinfo=tz)
        d_end = d_start + timedelta(days=1)
        today = [c for c in cal.changes if c.planned_start < d_end and c.planned_end > d_start]
        cells.append(
            {
                "date": d,
                "in_month": view == "week" or d.month == day.month,
                "today": d == timezone.localdate(),
                "changes": today[:per_cell],
                "more": max(len(today) - per_cell, 0),
                "freezes": [f for f in cal.freezes if f.starts_at < d_end and f.ends_at > d_start],
            }
        )
    weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
    context = {
        "view": view,
        "day": day,
        "weeks": weeks,
        "freezes": cal.freezes,
        "previous": previous,
        "following": following,
        "title": f"Week of {days[0]:%d %b %Y}" if view == "week" else f"{day:%B %Y}",
    }
    return render(request, "changes/calendar.html", context)


# --- process owner: templates, authorities, matrix, freezes ----------------------------------
def _owner_only(user: User, what: str) -> None:
    if not access.is_process_owner(user):
        raise PermissionDenied(f"{what} is for process owners.")


@login_required
@require_http_methods(["GET", "POST"])
def template_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = TemplateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                template = services.template_propose(actor=user, **form.service_kwargs())
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request, f"“{template.title}” is proposed; a process owner approves it."
                )
                return redirect("change-templates")
    templates = selectors.template_list(user=user)
    if not access.sees_all(user):
        templates = templates.filter(status="active")
    rows = [{"t": t, "flagged": selectors.template_flagged(t)} for t in templates]
    context = {
        "rows": rows,
        "form": form,
        "can_propose": access.may_propose_template(user),
        "is_owner": access.is_process_owner(user),
    }
    return render(request, "changes/templates.html", context, status=status)


@login_required
@require_POST
def template_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request)
    template = selectors.template_get(user=user, pk=pk)
    runs = {"approve": services.template_approve, "suspend": services.template_suspend}
    if action not in runs:
        raise Http404("No such action.")
    try:
        runs[action](template=template, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{template.title}”: {action}d.".replace("ed.d", "ed."))
    return redirect("change-templates")


@login_required
@require_http_methods(["GET", "POST"])
def authority_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    is_owner = access.is_process_owner(user)
    status = 200
    form = AuthorityForm(request.POST or None, prefix="new")
    cell_form = MatrixCellForm(request.POST or None, prefix="cell")
    if request.method == "POST":
        _owner_only(user, "Managing change authorities")
        status = 400
        target = request.POST.get("target")
        try:
            if target == "cell" and cell_form.is_valid():
                services.matrix_set(
                    actor=user,
                    category=cell_form.cleaned_data["category"],
                    risk_class=cell_form.cleaned_data["risk_class"],
                    authorities=cell_form.chain(),
                )
                messages.success(request, "The matrix is updated.")
                return redirect("change-authorities")
            if target == "authority" and form.is_valid():
                existing = None
                if request.POST.get("authority_id"):
                    existing = selectors.authority_get(request.POST["authority_id"])
                services.authority_save(actor=user, authority=existing, **form.cleaned_data)
                messages.success(request, f"“{form.cleaned_data['name']}” is saved.")
                return redirect("change-authorities")
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    cells = selectors.matrix()
    matrix_rows = [
        {
            "category": label,
            "cells": [cells.get((value, r), []) for r in RiskClass.values],
        }
        for value, label in Category.choices
    ]
    context = {
        "authorities": selectors.authority_list(),
        "matrix_rows": matrix_rows,
        "risk_classes": RiskClass.choices,
        "is_owner": is_owner,
        "form": form,
        "cell_form": cell_form,
    }
    return render(request, "changes/authorities.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def freeze_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = FreezeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.freeze_create(actor=user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"Freeze “{form.cleaned_data['name']}” declared.")
                return redirect("change-freezes")
    context = {
        "freezes": selectors.freeze_list(filters={"active": "true"}),
        "form": form,
        "is_owner": access.is_process_owner(user),
    }
    return render(request, "changes/freezes.html", context, status=status)


@login_required
@require_POST
def freeze_lift(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    try:
        services.freeze_lift(freeze=selectors.freeze_get(pk), actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Freeze lifted.")
    return redirect("change-freezes")


GUARD_STEPS = {g.id: g.step for g in GUARDS.values()}
