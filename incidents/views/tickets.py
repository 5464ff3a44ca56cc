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

from bypass.engine import offer_for
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
    MergeForm,
    MyTicketsFilterForm,
    PendForm,
    RateForm,
    ReasonForm,
    ReportForm,
    ResolveForm,
    TriageForm,
    UnlinkProblemForm,
    UnwatchForm,
    WatchForm,
)
from incidents.models import Incident
from incidents.transitions import INCIDENT
from org import selectors as org_selectors
from org.models import User
from org.roles import request_user
from servicedesk.errors import DomainError, ValidationFailed

from .common import DONE, FINAL, available_actions, is_htmx, keyset_paginate, safe_next
from .desk import canned_reply_text
from .timeline import build_timeline


# --- requester: report, my tickets ----------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.POST.get("me_too"):  # "me too" needs no story: the known error tells it
        form.fields["description"].required = False
    status = 200
    matches: list[Any] = []
    if request.method == "POST":
        status = 400
        if form.is_valid():
            service = form.cleaned_data["service"]
            me_too = _known_error_chosen(request, user)
            if me_too is None and not request.POST.get("known_errors_shown"):
                # Without JavaScript the matches were never shown: show them before sending.
                matches = selectors.known_error_matches(
                    user=user,
                    service_id=service.pk if service else None,
                    title=form.cleaned_data["title"],
                )
            if matches:
                status = 200
            else:
                impact, urgency = form.impact_urgency()
                upload = form.cleaned_data.get("attachment")
                try:
                    incident = services.incident_create(
                        actor=user,
                        title=form.cleaned_data["title"],
                        description=form.cleaned_data["description"],
                        service=service,
                        impact=impact,
                        urgency=urgency,
                        attachments=[upload] if upload else [],
                        known_error=me_too,
                    )
                except DomainError as exc:
                    field = "attachment" if exc.code.startswith("attachment") else None
                    form.add_error(field, exc.message)
                    status = exc.status
                else:
                    when = timezone.localtime(incident.due_at) if incident.due_at else None
                    expected = f" We aim to fix it by {when:%a %d %b, %H:%M}." if when else ""
                    if me_too is not None:
                        expected = (
                            f" It is a known error ({me_too.title}): the workaround is below."
                            + expected
                        )
                    messages.success(request, f"Thank you: {incident.ref} is logged.{expected}")
                    return redirect("incident-detail", pk=incident.pk)
    context = {"form": form, "matches": matches, "checked": bool(matches)}
    return render(request, "incidents/new.html", context, status=status)


def _known_error_chosen(request: HttpRequest, user: User) -> Any:
    """The known error the requester said "this is happening to me too" about, if any."""
    pk = request.POST.get("me_too") or ""
    if not pk.isdigit():
        return None
    try:
        return selectors.known_error_get(user=user, pk=pk)
    except Http404:
        return None


@login_required
def incident_mine(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = MyTicketsFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else {}
    tickets = selectors.incident_mine(user=user, filters=filters)
    page = keyset_paginate(request, tickets)  # by (created_at, id): no OFFSET, however deep
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
    "merge": "Merge into",
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
    send = form.cleaned_data["send_workaround"]
    services.problem_link_incidents(
        problem=problem,
        actor=user,
        incident_ids=[incident.pk],
        move=form.cleaned_data["confirm"],
        send_workaround=send,
    )
    sent = " The workaround was sent to the requester." if send and problem.workaround else ""
    return f"Linked to {problem.ref}.{sent}"


def _unlink_problem(incident: Incident, user: User, form: Any) -> str:
    previous = incident.problem
    services.incident_unlink_problem(
        incident=incident, actor=user, reason=form.cleaned_data["reason"]
    )
    return f"{incident.ref} is no longer linked to {previous.ref if previous else 'a problem'}."


def _merge(incident: Incident, user: User, form: Any) -> str:
    into = form.cleaned_data["into"]
    try:
        kept = selectors.incident_get(user=user, pk=into)
    except Http404:
        raise ValidationFailed(f"No incident INC-{into:06d} to merge into.") from None
    services.incident_merge(
        incident=incident, into=kept, actor=user, note=form.cleaned_data["note"]
    )
    return (
        f"{incident.ref} is closed as a duplicate of {kept.ref}; "
        f"{incident.requester.name} follows {kept.ref} now and has been told."
    )


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
    "unlink-problem": ActionSpec(UnlinkProblemForm, _unlink_problem, (guards.may_manage_problem,)),
    "merge": ActionSpec(MergeForm, _merge),
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


def _sla(incident: Incident) -> dict[str, Any]:
    state = getattr(incident, "sla", None)
    specs = selectors.calendar_specs([state.calendar_id] if state is not None else [])
    return selectors.sla_summary(incident, timezone.now(), specs)


def _ticket_page(
    request: HttpRequest,
    user: User,
    incident: Incident,
    *,
    bound: dict[str, django_forms.Form] | None = None,
    status: int = 200,
    gate_block: dict[str, Any] | None = None,
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
    canned = selectors.canned_replies_for(user=user, incident=incident) if agent else []
    comment_initial = {"visibility": "internal" if agent else "public"}
    canned_pick = request.GET.get("canned", "")
    if canned and canned_pick:
        body = canned_reply_text(user, incident, canned_pick)
        typed = request.GET.get("comment-body", "").rstrip()
        comment_initial = {"visibility": "public", "body": f"{typed}\n\n{body}" if typed else body}
    watchers = list(incident.watchers.order_by("display_name", "username"))
    party = access.is_party(user, incident)
    context = {
        "bypass": gate_block,  # which gate refused, and the offer to request a bypass
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
        "comment_form": form("comment", initial=comment_initial),
        "canned_replies": canned,
        "canned_pick": canned_pick,
        "unlink_form": (
            form("unlink-problem")
            if agent and incident.problem_id and _precheck(user, incident, "unlink-problem") is None
            else None
        ),
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
        "sla": _sla(incident) if agent else None,
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
    if action == "link-problem" and refusal is None and not form.cleaned_data["confirm"]:
        preview = _link_preview(request, user, form.cleaned_data["problem"], [incident.pk])
        if preview is not None:
            return preview
    try:
        if refusal is not None:
            raise refusal
        message = spec.run(incident, user, form)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _ticket_page(
            request,
            user,
            incident,
            bound={action: form},
            status=exc.status,
            gate_block=offer_for(exc, incident),
        )
    messages.success(request, message)
    return redirect("incident-detail", pk=incident.pk)


def link_preview_response(
    request: HttpRequest,
    user: User,
    problem: Any,
    incident_ids: list[int],
    *,
    prefix: str,
    resend: list[tuple[str, str]],
    back: str,
    always: bool = False,
) -> HttpResponse | None:
    """Show what linking will do, row by row, when it would move an incident off another
    problem or send a workaround (or ``always``); None when there is nothing to confirm."""
    rows = selectors.problem_link_preview(user=user, problem=problem, incident_ids=incident_ids)
    moving = [r for r in rows if r.outcome == "move"]
    sending = [r for r in rows if r.gets_workaround]
    if not moving and not sending and not always:
        return None
    context = {
        "problem": problem,
        "rows": rows,
        "moving": moving,
        "sending": sending,
        "prefix": prefix,
        "resend": resend,
        "back": back,
        "action_url": request.path,
    }
    return render(request, "incidents/link_confirm.html", context)


def _link_preview(
    request: HttpRequest, user: User, problem: Any, incident_ids: list[int]
) -> HttpResponse | None:
    return link_preview_response(
        request,
        user,
        problem,
        incident_ids,
        prefix="link-problem-",
        resend=[("link-problem-problem", str(problem.pk))],
        back=reverse("incident-detail", args=[incident_ids[0]]),
    )


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
