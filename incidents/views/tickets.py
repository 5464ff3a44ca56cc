"""Requester pages (report, my tickets) and the ticket page with its actions."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from incidents import access, guards, selectors, services
from incidents.choices import IncidentStatus, PendingReason
from incidents.downloads import attachment_response
from incidents.forms import (
    AssignForm,
    AttachForm,
    CommentForm,
    EditForm,
    EmptyForm,
    LinkProblemForm,
    MyTicketsFilterForm,
    PendForm,
    RateForm,
    ReasonForm,
    ReportForm,
    ResolveForm,
    TriageForm,
    UnwatchForm,
    WatchForm,
)
from incidents.models import Incident
from incidents.transitions import INCIDENT
from org import selectors as org_selectors
from org.models import User
from org.roles import request_user
from servicedesk.errors import DomainError

from .common import DONE, FINAL, available_actions, is_htmx, paginate, safe_next
from .timeline import build_timeline


# --- requester: report, my tickets ----------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = ReportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            impact, urgency = form.impact_urgency()
            upload = form.cleaned_data.get("attachment")
            try:
                incident = services.incident_create(
                    actor=user,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    service=form.cleaned_data["service"],
                    impact=impact,
                    urgency=urgency,
                    attachments=[upload] if upload else [],
                )
            except DomainError as exc:
                field = "attachment" if exc.code.startswith("attachment") else None
                form.add_error(field, exc.message)
                status = exc.status
            else:
                when = timezone.localtime(incident.due_at) if incident.due_at else None
                expected = f" We aim to fix it by {when:%a %d %b, %H:%M}." if when else ""
                messages.success(request, f"Thank you: {incident.ref} is logged.{expected}")
                return redirect("incident-detail", pk=incident.pk)
    return render(request, "incidents/new.html", {"form": form}, status=status)


@login_required
def incident_mine(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = MyTicketsFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else {}
    tickets = selectors.incident_mine(user=user, filters=filters)
    page = paginate(request, tickets)
    context = {
        "form": form,
        "page": page,
        "now": timezone.now(),
        "waiting": list(selectors.incident_waiting_on(user=user)[:20]),
    }
    return render(request, "incidents/mine.html", context)


# --- the ticket page ------------------------------------------------------------------------
RESOLUTION_ACTIONS = ("close", "reopen")  # shown with the resolution, not in the side bar
ACTION_LABELS = {
    "assign": "Assign",
    "start": "Start work",
    "pend": "Put on hold",
    "resume": "Resume",
    "resolve": "Resolve",
    "close": "Confirm & close",
    "reopen": "Reopen",
    "cancel": "Cancel ticket",
}


@dataclass
class ActionSpec:
    form: type[django_forms.Form]
    run: Callable[[Incident, User, Any], str]
    prechecks: tuple[Callable[[guards.Ctx], None], ...] = ()


def _comment(incident: Incident, user: User, form: Any) -> str:
    services.incident_comment(
        incident=incident, actor=user, body=form.cleaned_data["body"], internal=form.internal
    )
    return "Internal note added." if form.internal else "Reply sent."


def _attach(incident: Incident, user: User, form: Any) -> str:
    attachment = services.incident_attach(
        incident=incident,
        actor=user,
        upload=form.cleaned_data["file"],
        internal=form.cleaned_data["internal"],
    )
    return f"Attached {attachment.filename}."


def _assign(incident: Incident, user: User, form: Any) -> str:
    done = services.incident_assign(
        incident=incident,
        actor=user,
        team=form.cleaned_data["team"],
        assignee=form.cleaned_data["assignee"],
    )
    to = done.assignee.name if done.assignee else (done.team.name if done.team else "")
    return f"{done.ref} assigned to {to}."


def _start(incident: Incident, user: User, form: Any) -> str:
    return f"{services.incident_start(incident=incident, actor=user).ref} is in progress."


def _pend(incident: Incident, user: User, form: Any) -> str:
    services.incident_pend(
        incident=incident,
        actor=user,
        reason=form.cleaned_data["reason"],
        note=form.cleaned_data["note"],
        note_public=form.note_public,
    )
    return f"{incident.ref} is on hold."


def _watch(incident: Incident, user: User, form: Any) -> str:
    text = form.cleaned_data["person"].strip()
    person = org_selectors.person_lookup(user=user, text=text) if text else user
    added = services.incident_watch(incident=incident, actor=user, user=person)
    if person.pk == user.pk:
        return "You follow this ticket now." if added else "You already follow this ticket."
    if not added:
        return f"{person.name} already follows this ticket."
    return f"{person.name} follows this ticket now and hears about its public updates."


def _unwatch(incident: Incident, user: User, form: Any) -> str:
    user_id = form.cleaned_data["user_id"]
    person = incident.watchers.filter(pk=user_id).first() if user_id else user
    if person is None:
        return "They no longer follow this ticket."
    services.incident_unwatch(incident=incident, actor=user, user=person)
    if person.pk == user.pk:
        return "You no longer follow this ticket."
    return f"{person.name} no longer follows this ticket."


def _resume(incident: Incident, user: User, form: Any) -> str:
    return f"{services.incident_resume(incident=incident, actor=user).ref} is back in progress."


def _resolve(incident: Incident, user: User, form: Any) -> str:
    services.incident_resolve(
        incident=incident,
        actor=user,
        code=form.cleaned_data["code"],
        notes=form.cleaned_data["notes"],
    )
    return f"{incident.ref} is resolved; the requester is asked to confirm."


def _close(incident: Incident, user: User, form: Any) -> str:
    services.incident_close(incident=incident, actor=user)
    return f"Thank you for confirming: {incident.ref} is closed."


def _reopen(incident: Incident, user: User, form: Any) -> str:
    services.incident_reopen(incident=incident, actor=user, reason=form.cleaned_data["reason"])
    return f"{incident.ref} is reopened."


def _cancel(incident: Incident, user: User, form: Any) -> str:
    services.incident_cancel(incident=incident, actor=user, reason=form.cleaned_data["reason"])
    return f"{incident.ref} is cancelled."


def _rate(incident: Incident, user: User, form: Any) -> str:
    services.incident_rate(
        incident=incident,
        actor=user,
        rating=form.cleaned_data["rating"],
        comment=form.cleaned_data["comment"],
    )
    return "Thank you for your rating."


def _triage(incident: Incident, user: User, form: Any) -> str:
    data = form.cleaned_data
    services.incident_triage(
        incident=incident,
        actor=user,
        impact=data["impact"],
        urgency=data["urgency"],
        category=data["category"],
        service=data["service"],
        is_major=data["is_major"],
        affected_users=data["affected_users"],
    )
    return "Triage saved."


def _edit(incident: Incident, user: User, form: Any) -> str:
    done = services.incident_edit(
        incident=incident,
        actor=user,
        title=form.cleaned_data["title"],
        description=form.cleaned_data["description"],
    )
    return f"{done.ref} updated."


def _link_problem(incident: Incident, user: User, form: Any) -> str:
    problem = form.cleaned_data["problem"]
    services.problem_link_incidents(problem=problem, actor=user, incident_ids=[incident.pk])
    return f"Linked to {problem.ref}."


INCIDENT_ACTIONS: dict[str, ActionSpec] = {
    "comment": ActionSpec(CommentForm, _comment),
    "attach": ActionSpec(AttachForm, _attach),
    "assign": ActionSpec(AssignForm, _assign),
    "start": ActionSpec(EmptyForm, _start),
    "pend": ActionSpec(PendForm, _pend),
    "resume": ActionSpec(EmptyForm, _resume),
    "resolve": ActionSpec(ResolveForm, _resolve),
    "close": ActionSpec(EmptyForm, _close),
    "reopen": ActionSpec(ReasonForm, _reopen),
    "cancel": ActionSpec(ReasonForm, _cancel),
    "rate": ActionSpec(RateForm, _rate),
    "triage": ActionSpec(TriageForm, _triage, (guards.may_work,)),
    "edit": ActionSpec(EditForm, _edit, (guards.may_work,)),
    "link-problem": ActionSpec(LinkProblemForm, _link_problem, (guards.may_manage_problem,)),
    "watch": ActionSpec(WatchForm, _watch),
    "unwatch": ActionSpec(UnwatchForm, _unwatch),
}


def _precheck(user: User, incident: Incident, action: str) -> DomainError | None:
    ctx = guards.Ctx(obj=incident, actor=user, now=timezone.now())
    if action in INCIDENT.transitions:
        return INCIDENT.refusal(incident.status, action, ctx)
    try:
        for guard in INCIDENT_ACTIONS[action].prechecks:
            guard(ctx)
    except DomainError as exc:
        return exc
    return None


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    incident = selectors.incident_get(user=user, pk=pk)
    return _ticket_page(request, user, incident)


def _ticket_page(
    request: HttpRequest,
    user: User,
    incident: Incident,
    *,
    bound: dict[str, django_forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    agent = access.is_agent(user)
    attachments = list(selectors.incident_attachments(user=user, incident=incident))
    events = list(selectors.incident_events(user=user, incident=incident))
    timeline = build_timeline(
        events,
        selectors.incident_comments(user=user, incident=incident),
        attachments,
        agent=agent,
    )
    allowed = available_actions(INCIDENT, incident, user)
    rating = selectors.current_rating(incident) if incident.status in DONE else None
    can_rate = incident.status in DONE and user.pk == incident.requester_id and rating is None

    def form(action: str, **kwargs: Any) -> django_forms.Form:
        if action in bound:
            return bound[action]
        return INCIDENT_ACTIONS[action].form(prefix=action, **kwargs)

    transitions = []
    for action in allowed:
        action_form = form(action)
        transitions.append(
            {
                "action": action,
                "label": ACTION_LABELS.get(action, action),
                "form": action_form,
                "needs_input": bool(action_form.fields),
                "open": action in bound,
            }
        )
    works = agent and incident.is_open and _precheck(user, incident, "triage") is None
    watchers = list(incident.watchers.order_by("display_name", "username"))
    party = access.is_party(user, incident)
    context = {
        "waiting_on_you": _waiting_on(user, incident, events),
        "watchers": watchers,
        "is_watching": any(w.pk == user.pk for w in watchers),
        "can_manage_watchers": agent or party,
        "watch_form": form("watch") if incident.status not in FINAL else None,
        "incident": incident,
        "agent": agent,
        "timeline": timeline,
        "attachments": attachments,
        "actions": [t for t in transitions if t["action"] not in RESOLUTION_ACTIONS],
        "resolution_actions": [t for t in transitions if t["action"] in RESOLUTION_ACTIONS],
        "can_take": "assign" in allowed and incident.assignee_id is None and agent,
        "can_comment": incident.status not in FINAL,
        "comment_form": form("comment", initial={"visibility": "internal" if agent else "public"}),
        "attach_form": form("attach"),
        "can_rate": can_rate,
        "rating": rating,
        "rate_form": form("rate"),
        "triage_form": form("triage", incident=incident) if works else None,
        "edit_form": (
            form("edit", incident=incident)
            if agent and incident.status not in FINAL and _precheck(user, incident, "edit") is None
            else None
        ),
        "link_form": form("link-problem") if agent and incident.status not in FINAL else None,
        "open_action": next(iter(bound), ""),
        "now": timezone.now(),
        "auto_close_at": (
            incident.resolved_at + timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
            if incident.resolved_at
            else None
        ),
    }
    return render(request, "incidents/detail.html", context, status=status)


def _waiting_on(user: User, incident: Incident, events: list[Any]) -> dict[str, str] | None:
    """What the desk asked, when the ticket waits on this requester (else None)."""
    if not (
        access.is_party(user, incident)
        and incident.status == IncidentStatus.PENDING
        and incident.pending_reason == PendingReason.REQUESTER
    ):
        return None
    asked = next(
        (e for e in reversed(events) if e.type == "incident.pended" and not e.is_internal), None
    )
    return {
        "question": asked.reason if asked is not None else "",
        "who": asked.actor_name if asked is not None else "The service desk",
    }


@login_required
@require_http_methods(["GET", "POST"])
def incident_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request)
    incident = selectors.incident_get(user=user, pk=pk)
    if request.method == "GET":  # a reload or bookmark of a form's address: show the ticket
        return redirect("incident-detail", pk=incident.pk)
    if action == "take":
        return _take(request, user, incident)
    spec = INCIDENT_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    form = spec.form(request.POST, request.FILES, prefix=action)
    refusal = _precheck(user, incident, action)
    if refusal is None and not form.is_valid():
        return _ticket_page(request, user, incident, bound={action: form}, status=400)
    try:
        if refusal is not None:
            raise refusal
        message = spec.run(incident, user, form)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _ticket_page(request, user, incident, bound={action: form}, status=exc.status)
    messages.success(request, message)
    return redirect("incident-detail", pk=incident.pk)


def _take(request: HttpRequest, user: User, incident: Incident) -> HttpResponse:
    """First come, first served; htmx swaps the queue row, without JS it is a plain POST."""
    error: DomainError | None = None
    try:
        services.incident_assign(
            incident=incident, actor=user, assignee=user, only_if_unassigned=True
        )
    except DomainError as exc:
        error = exc
    if is_htmx(request):
        row = selectors.incident_get(user=user, pk=incident.pk)
        context = {
            "i": row,
            "now": timezone.now(),
            "row_error": error.message if error else "",
            "row_taken": error is None,
            "next": request.POST.get("next", ""),
        }
        return render(
            request, "incidents/_queue_row.html", context, status=error.status if error else 200
        )
    if error is not None:
        messages.error(request, error.message)
        return _ticket_page(request, user, incident, status=error.status)
    messages.success(request, f"You took {incident.ref}.")
    return redirect(safe_next(request) or reverse("incident-detail", args=[incident.pk]))


@login_required
def attachment_download(request: HttpRequest, pk: int, aid: int) -> FileResponse:
    attachment = selectors.attachment_get(user=request_user(request), incident_pk=pk, pk=aid)
    return attachment_response(attachment)
