"""Problem list, problem page and its actions."""

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from incidents import guards, selectors, services
from incidents.choices import (
    ProblemStatus,
)
from incidents.forms import (
    LINKABLE_PROBLEMS,
    EmptyForm,
    KnownErrorForm,
    LinkIncidentsForm,
    ProblemCreateForm,
    ProblemFilterForm,
    ProblemResolveForm,
    ProblemUpdateForm,
    WorkaroundForm,
)
from incidents.models import Problem
from incidents.transitions import PROBLEM
from org.models import User
from org.roles import request_user
from servicedesk.errors import DomainError

from .common import available_actions, keyset_paginate, require_agent
from .tickets import link_preview_response


# --- problems -------------------------------------------------------------------------------
@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    require_agent(user, "Problem management")
    form = ProblemFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else {}
    # problems are a small table: one query for the page (no ids first)
    page = keyset_paginate(
        request, selectors.problem_list(user=user, filters=filters), ids_first=False
    )
    return render(request, "incidents/problem_list.html", {"form": form, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def problem_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    require_agent(user, "Problem management")
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
    send = form.cleaned_data["send_workaround"]
    linked = services.problem_link_incidents(
        problem=problem,
        actor=user,
        incident_ids=form.cleaned_data["refs"],
        move=form.cleaned_data["confirm"],
        send_workaround=send,
    )
    if not linked:
        return "Those incidents were already linked."
    sent = " Their requesters received the workaround." if send and problem.workaround else ""
    return f"Linked {', '.join(i.ref for i in linked)}.{sent}"


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
    for action in available_actions(PROBLEM, problem, user):
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
        "page": keyset_paginate(request, selectors.problem_incidents(problem=problem)),
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
@require_http_methods(["GET", "POST"])
def problem_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request)
    problem = selectors.problem_get(user=user, pk=pk)
    if request.method == "GET":  # a reload or bookmark of a form's address: show the problem
        return redirect("problem-detail", pk=problem.pk)
    if action not in PROBLEM_ACTIONS:
        raise Http404("No such action.")
    form_class, run = PROBLEM_ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    refusal = None
    if action in PROBLEM.transitions:
        ctx = guards.Ctx(obj=problem, actor=user, now=timezone.now())
        refusal = PROBLEM.refusal(problem.status, action, ctx)
    if refusal is None and not form.is_valid():
        return _problem_page(request, user, problem, bound={action: form}, status=400)
    if action == "link" and refusal is None and not form.cleaned_data["confirm"]:
        refs = form.cleaned_data["refs"]
        preview = link_preview_response(
            request,
            user,
            problem,
            refs,
            prefix="link-",
            resend=[("link-refs", " ".join(str(pk) for pk in refs))],
            back=reverse("problem-detail", args=[problem.pk]),
        )
        if preview is not None:
            return preview
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
