"""Browser pages for incidents and problems.

Views are thin: they read through ``incidents.selectors`` (scoped by user), validate the shape
of the input with ``incidents.forms`` and call one service per action. Business rules and
permission checks stay in the services and guards; a ``DomainError`` re-renders the page with
the message and the error's status (400/403/409), a success redirects (POST/redirect/GET).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from org.models import User
from org.roles import request_user
from servicedesk.errors import DomainError, PermissionDenied
from servicedesk.transitions import StateMachine

from . import access, guards, selectors, services
from .choices import (
    IncidentStatus,
    PendingReason,
    ProblemStatus,
    ResolutionCode,
)
from .forms import (
    LINKABLE_PROBLEMS,
    AssignForm,
    AttachForm,
    BulkForm,
    CommentForm,
    EmptyForm,
    KnownErrorForm,
    LinkIncidentsForm,
    LinkProblemForm,
    MyTicketsFilterForm,
    PendForm,
    ProblemCreateForm,
    ProblemFilterForm,
    ProblemResolveForm,
    ProblemUpdateForm,
    QueueFilterForm,
    RateForm,
    ReasonForm,
    ReportForm,
    ResolveForm,
    TriageForm,
    WorkaroundForm,
)
from .models import Incident, IncidentAttachment, IncidentComment, IncidentEvent, Problem
from .transitions import INCIDENT, PROBLEM

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
DONE = {IncidentStatus.RESOLVED, IncidentStatus.CLOSED}
FINAL = {IncidentStatus.CLOSED, IncidentStatus.CANCELLED}


# --- helpers --------------------------------------------------------------------------------
def _paginate(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    try:
        size = int(request.GET.get("page_size") or PAGE_SIZE)
    except ValueError:
        size = PAGE_SIZE
    size = max(1, min(size, MAX_PAGE_SIZE))
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _refusal(
    machine: StateMachine, status: str, action: str, ctx: guards.Ctx
) -> DomainError | None:
    """Why ``action`` is refused before any input is read. POSTs ask this before validating
    their form, so a refusal is a 403/409 whatever was posted; the services check it all again."""
    return machine.refusal(status, action, ctx)


def _allowed(machine: StateMachine, obj: Any, user: User) -> list[str]:
    return machine.available(obj.status, guards.Ctx(obj=obj, actor=user, now=timezone.now()))


def _require_agent(user: User, what: str) -> None:
    if not access.is_agent(user):
        raise PermissionDenied(f"{what} is for analysts and managers.")


# --- timeline -------------------------------------------------------------------------------
@dataclass
class Entry:
    at: datetime
    who: str
    kind: str  # "comment", "note" or "event"
    internal: bool
    text: str = ""
    body: str = ""
    attachment: IncidentAttachment | None = None


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _describe(event: IncidentEvent, *, agent: bool) -> str:
    p = event.payload or {}
    kind = event.type.removeprefix("incident.")
    if kind == "created":
        return "reported the incident"
    if kind == "assigned":
        if p.get("taken"):
            return "took the incident"
        who, team = p.get("assignee") or "", p.get("team") or ""
        if who and team:
            return f"assigned it to {who} ({team})"
        return f"assigned it to {who or team}"
    if kind == "started":
        return "started working on it"
    if kind == "pended":
        return f"put it on hold: {_label(PendingReason, p.get('pending_reason', '')).lower()}"
    if kind == "resumed":
        return "resumed work"
    if kind == "resolved":
        return f"resolved it ({_label(ResolutionCode, p.get('resolution_code', '')).lower()})"
    if kind == "closed":
        return "closed automatically" if p.get("automatic") else "confirmed the fix and closed it"
    if kind == "reopened":
        return "reopened it"
    if kind == "cancelled":
        return "cancelled it"
    if kind == "triaged":
        changes = p.get("changes", {})
        parts = []
        for field, (old, new) in changes.items():
            if field == "priority":
                parts.append(f"priority P{old} → P{new}")
            elif field in ("impact", "urgency"):
                parts.append(f"{field} {old} → {new}")
            elif field == "is_major":
                parts.append("declared a major incident" if new else "no longer major")
            else:
                parts.append(f"{field.replace('_', ' ')} changed")
        return "triaged: " + ", ".join(parts) if parts else "triaged it"
    if kind == "attachment_added":
        return f"attached {p.get('filename', 'a file')}"
    if kind == "watcher_added":
        return f"added {p.get('user', 'someone')} as a watcher"
    if kind == "rated":
        return f"rated the resolution {p.get('rating')}/5"
    if kind == "problem_linked":
        return f"linked it to problem {p.get('problem', '')}"
    if kind == "workaround_published":  # problems are for analysts: no reference for others
        source = f" from {p.get('problem', '')}" if agent else ""
        return f"published a workaround{source}"
    return event.type


def _timeline(
    events: Iterable[IncidentEvent],
    comments: Iterable[IncidentComment],
    attachments: Iterable[IncidentAttachment],
    *,
    agent: bool,
) -> list[Entry]:
    by_comment = {c.pk: c for c in comments}
    by_attachment = {a.pk: a for a in attachments}
    shown: set[int] = set()
    entries: list[Entry] = []
    for event in events:
        if event.type in ("incident.commented", "incident.noted"):
            comment = by_comment.get(event.payload.get("comment_id"))
            if comment is None:
                continue
            shown.add(comment.pk)
            entries.append(_comment_entry(comment))
            continue
        entries.append(
            Entry(
                at=event.created_at,
                who=event.actor_name,
                kind="event",
                internal=event.is_internal,
                text=_describe(event, agent=agent),
                body=event.reason,
                attachment=by_attachment.get(event.payload.get("attachment_id")),
            )
        )
    entries.extend(_comment_entry(c) for pk, c in by_comment.items() if pk not in shown)
    entries.sort(key=lambda e: e.at)
    return entries


def _comment_entry(comment: IncidentComment) -> Entry:
    return Entry(
        at=comment.created_at,
        who=comment.author.name,
        kind="note" if comment.is_internal else "comment",
        internal=comment.is_internal,
        body=comment.body,
    )


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
    page = _paginate(request, tickets)
    return render(request, "incidents/mine.html", {"form": form, "page": page})


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
    )
    return f"{incident.ref} is on hold."


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
    "link-problem": ActionSpec(LinkProblemForm, _link_problem, (guards.may_manage_problem,)),
}


def _precheck(user: User, incident: Incident, action: str) -> DomainError | None:
    ctx = guards.Ctx(obj=incident, actor=user, now=timezone.now())
    if action in INCIDENT.transitions:
        return _refusal(INCIDENT, incident.status, action, ctx)
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
    timeline = _timeline(
        selectors.incident_events(user=user, incident=incident),
        selectors.incident_comments(user=user, incident=incident),
        attachments,
        agent=agent,
    )
    allowed = _allowed(INCIDENT, incident, user)
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
    context = {
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
        "link_form": form("link-problem") if agent and incident.status not in FINAL else None,
        "open_action": next(iter(bound), ""),
        "now": timezone.now(),
    }
    return render(request, "incidents/detail.html", context, status=status)


@login_required
@require_POST
def incident_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request)
    incident = selectors.incident_get(user=user, pk=pk)
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
    if _is_htmx(request):
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
    return redirect(_safe_next(request) or reverse("incident-detail", args=[incident.pk]))


@login_required
def attachment_download(request: HttpRequest, pk: int, aid: int) -> FileResponse:
    attachment = selectors.attachment_get(user=request_user(request), incident_pk=pk, pk=aid)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- analyst: the queue ---------------------------------------------------------------------
SORTABLE = (("priority", "Priority"), ("due", "Due"), ("created", "Opened"), ("updated", "Updated"))
ORDERINGS = {key for k, _ in SORTABLE for key in (k, f"-{k}")} | {"status", "-status"}


@login_required
@require_http_methods(["GET", "POST"])
def queue(request: HttpRequest, tab: str = "mine") -> HttpResponse:
    user = request_user(request)
    _require_agent(user, "The queue")
    if tab not in selectors.QUEUES:
        raise Http404("No such queue.")
    bulk_form = BulkForm(request.POST or None, prefix="bulk")
    status = 200
    if request.method == "POST":
        status = 400
        if bulk_form.is_valid():
            try:
                message = _bulk(user, bulk_form)
            except DomainError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, message)
                return redirect(request.get_full_path())
    return _queue_page(request, user, tab, bulk_form, status)


def _bulk(user: User, form: BulkForm) -> str:
    data = form.cleaned_data
    ids = data["ids"]
    if data["action"] == "link":
        linked = services.problem_link_incidents(
            problem=data["problem"], actor=user, incident_ids=ids
        )
        return f"Linked {len(linked)} incident(s) to {data['problem'].ref}."
    done = services.incident_bulk_assign(
        incident_ids=ids, actor=user, team=data["team"], assignee=data["assignee"]
    )
    return f"Assigned {len(done)} incident(s)."


def _queue_page(
    request: HttpRequest, user: User, tab: str, bulk_form: BulkForm, status: int
) -> HttpResponse:
    filter_form = QueueFilterForm(request.GET)
    incidents: QuerySet[Incident] = Incident.objects.none()
    if filter_form.is_valid():
        filters = filter_form.filters()
        ordering = request.GET.get("ordering", "")
        if ordering in ORDERINGS:
            filters["ordering"] = ordering
        try:
            incidents = selectors.incident_queue(user=user, queue=tab, filters=filters)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = max(status, exc.status)
    else:
        status = max(status, 400)
    page = _paginate(request, incidents)
    current = request.GET.get("ordering", "")
    columns = [
        {
            "key": key,
            "label": label,
            "next": f"-{key}" if current == key else key,
            "arrow": "▲" if current == key else ("▼" if current == f"-{key}" else ""),
        }
        for key, label in SORTABLE
    ]
    tabs = [
        {
            "key": key,
            "label": label,
            "url": reverse("queue") if key == "mine" else reverse("queue-tab", args=[key]),
            "active": key == tab,
        }
        for key, label in selectors.QUEUES.items()
    ]
    context = {
        "tab": tab,
        "tabs": tabs,
        "filter_form": filter_form,
        "bulk_form": bulk_form,
        "page": page,
        "columns": columns,
        "now": timezone.now(),
        "next": request.get_full_path(),
    }
    return render(request, "incidents/queue.html", context, status=status)


# --- problems -------------------------------------------------------------------------------
@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_agent(user, "Problem management")
    form = ProblemFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else {}
    page = _paginate(request, selectors.problem_list(user=user, filters=filters))
    return render(request, "incidents/problem_list.html", {"form": form, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def problem_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_agent(user, "Problem management")
    form = ProblemCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                problem = services.problem_create(actor=user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"{problem.ref} recorded.")
                return redirect("problem-detail", pk=problem.pk)
    return render(request, "incidents/problem_new.html", {"form": form}, status=status)


PROBLEM_LABELS = {
    "investigate": "Start investigating",
    "mark_known_error": "Mark as known error",
    "resolve": "Resolve",
    "close": "Close",
}


def _p_update(problem: Problem, user: User, form: Any) -> str:
    services.problem_update(problem=problem, actor=user, **form.cleaned_data)
    return "Saved."


def _p_investigate(problem: Problem, user: User, form: Any) -> str:
    services.problem_investigate(problem=problem, actor=user)
    return f"{problem.ref} is under investigation."


def _p_known_error(problem: Problem, user: User, form: Any) -> str:
    services.problem_mark_known_error(
        problem=problem, actor=user, root_cause=form.cleaned_data["root_cause"]
    )
    return f"{problem.ref} is a known error."


def _p_resolve(problem: Problem, user: User, form: Any) -> str:
    services.problem_resolve(problem=problem, actor=user, **form.cleaned_data)
    return f"{problem.ref} is resolved."


def _p_close(problem: Problem, user: User, form: Any) -> str:
    services.problem_close(problem=problem, actor=user)
    return f"{problem.ref} is closed."


def _p_link(problem: Problem, user: User, form: Any) -> str:
    linked = services.problem_link_incidents(
        problem=problem, actor=user, incident_ids=form.cleaned_data["refs"]
    )
    if not linked:
        return "Those incidents were already linked."
    return f"Linked {', '.join(i.ref for i in linked)}."


def _p_workaround(problem: Problem, user: User, form: Any) -> str:
    count = services.problem_publish_workaround(
        problem=problem, actor=user, workaround=form.cleaned_data["workaround"]
    )
    return f"Workaround published to {count} open incident(s)."


PROBLEM_ACTIONS: dict[str, tuple[type[django_forms.Form], Callable[[Problem, User, Any], str]]] = {
    "update": (ProblemUpdateForm, _p_update),
    "investigate": (EmptyForm, _p_investigate),
    "mark_known_error": (KnownErrorForm, _p_known_error),
    "resolve": (ProblemResolveForm, _p_resolve),
    "close": (EmptyForm, _p_close),
    "link": (LinkIncidentsForm, _p_link),
    "workaround": (WorkaroundForm, _p_workaround),
}


def _problem_history(problem: Any) -> list[dict[str, Any]]:
    rows = []
    for event in selectors.problem_events(problem=problem):
        what = event.type.removeprefix("problem.").replace("_", " ").capitalize()
        moved = event.to_status and event.to_status != event.from_status
        status = ProblemStatus(event.to_status).label if moved else ""
        rows.append(
            {
                "at": event.created_at,
                "who": event.actor_name,
                "what": what,
                "status": status if status.lower() != what.lower() else "",
                "reason": event.reason,
            }
        )
    return rows


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    problem = selectors.problem_get(user=user, pk=pk)
    return _problem_page(request, user, problem)


def _problem_page(
    request: HttpRequest,
    user: User,
    problem: Problem,
    *,
    bound: dict[str, django_forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}

    def form(action: str, **kwargs: Any) -> django_forms.Form:
        return bound.get(action) or PROBLEM_ACTIONS[action][0](prefix=action, **kwargs)

    transitions = []
    for action in _allowed(PROBLEM, problem, user):
        action_form = form(action)
        transitions.append(
            {
                "action": action,
                "label": PROBLEM_LABELS.get(action, action),
                "form": action_form,
                "needs_input": bool(action_form.fields),
                "open": action in bound,
            }
        )
    editable = problem.status != ProblemStatus.CLOSED
    linkable = problem.status in LINKABLE_PROBLEMS
    update_initial = {
        "description": problem.description,
        "root_cause": problem.root_cause,
        "permanent_fix": problem.permanent_fix,
        "fix_change_ref": problem.fix_change_ref,
    }
    context = {
        "problem": problem,
        "page": _paginate(request, selectors.problem_incidents(problem=problem)),
        "history": _problem_history(problem),
        "transitions": transitions,
        "update_form": form("update", initial=update_initial) if editable else None,
        "link_form": form("link") if linkable else None,
        "workaround_form": (
            form("workaround", initial={"workaround": problem.workaround}) if linkable else None
        ),
        "open_action": next(iter(bound), ""),
    }
    return render(request, "incidents/problem_detail.html", context, status=status)


@login_required
@require_POST
def problem_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request)
    problem = selectors.problem_get(user=user, pk=pk)
    if action not in PROBLEM_ACTIONS:
        raise Http404("No such action.")
    form_class, run = PROBLEM_ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    refusal = None
    if action in PROBLEM.transitions:
        ctx = guards.Ctx(obj=problem, actor=user, now=timezone.now())
        refusal = _refusal(PROBLEM, problem.status, action, ctx)
    if refusal is None and not form.is_valid():
        return _problem_page(request, user, problem, bound={action: form}, status=400)
    try:
        if refusal is not None:
            raise refusal
        message = run(problem, user, form)
    except DomainError as exc:
        messages.error(request, exc.message)
        problem = selectors.problem_get(user=user, pk=pk)
        return _problem_page(request, user, problem, bound={action: form}, status=exc.status)
    messages.success(request, message)
    return redirect("problem-detail", pk=problem.pk)
