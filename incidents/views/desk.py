"""The desk's own pages: log a call for someone, find people, known errors, canned replies."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from incidents import selectors, services
from incidents.choices import Level, Priority
from incidents.forms import CannedReplyForm, KnownErrorFilterForm, LogCallForm
from org.choices import Role
from org.models import Team, User
from org.roles import request_user
from servicedesk.errors import DomainError, PermissionDenied

from .common import keyset_paginate, paginate, require_agent


# --- log a call on behalf of a caller -------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def incident_log_call(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    require_agent(user, "Logging a call for someone")
    finding = request.method == "POST" and "find" in request.POST
    form = LogCallForm(request.POST or None, finding=finding)
    status = 200
    people: list[User] = []
    if request.method == "POST":
        status = 200 if finding else 400
        known_error = _caller_known_error(user, request.POST.get("me_too", ""))
        if form.is_valid() and not finding:
            data = form.cleaned_data
            try:
                incident = services.incident_create(
                    actor=user,
                    requester=data["requester"],
                    channel=data["channel"],
                    title=data["title"],
                    description=data["description"],
                    service=data["service"],
                    impact=data["impact"],
                    urgency=data["urgency"],
                    known_error=known_error,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                also = (
                    f" It is linked to the known error {known_error.ref}; the caller has the "
                    "workaround."
                    if known_error
                    else ""
                )
                messages.success(
                    request,
                    f"{incident.ref} is logged for {incident.requester.name} "
                    f"({incident.get_channel_display().lower()}).{also}",
                )
                return redirect("incident-detail", pk=incident.pk)
        q = request.POST.get("caller_q", "")
        people = list(selectors.people_search(user=user, q=q)[: selectors.PEOPLE_SEARCH_LIMIT])
    chosen = form.cleaned_data.get("requester") if hasattr(form, "cleaned_data") else None
    if chosen is not None and chosen not in people:
        people.insert(0, chosen)
    context = {
        "form": form,
        "people": people,
        "chosen_id": chosen.pk if chosen else None,
        "searched": bool(request.POST.get("caller_q")),
    }
    return render(request, "incidents/log_call.html", context, status=status)


def _caller_known_error(user: User, pk: str) -> Any:
    """The known error the analyst chose for the caller. The service refuses it, in words, if
    its workaround was withdrawn meanwhile."""
    if not pk.isdigit():
        return None
    try:
        return selectors.problem_get(user=user, pk=pk)
    except Http404:
        return None


@login_required
def people_search(request: HttpRequest) -> HttpResponse:
    """The caller picker's results (an htmx fragment; also a plain page without JS)."""
    user = request_user(request)
    require_agent(user, "Looking people up")
    q = request.GET.get("caller_q") or request.GET.get("q") or ""
    people = list(selectors.people_search(user=user, q=q)[: selectors.PEOPLE_SEARCH_LIMIT])
    context = {"people": people, "searched": bool(q.strip()), "chosen_id": None}
    return render(request, "incidents/_people_results.html", context)


# --- known errors ---------------------------------------------------------------------------
@login_required
def known_error_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = KnownErrorFilterForm(request.GET)
    filters: dict[str, Any] = {}
    if form.is_valid():
        service = form.cleaned_data.get("service")
        filters = {
            "q": form.cleaned_data.get("q") or "",
            "service_id": service.pk if service else "",
        }
    page = keyset_paginate(
        request, selectors.known_error_list(user=user, filters=filters), ids_first=False
    )
    return render(request, "incidents/known_errors.html", {"form": form, "page": page})


@login_required
def known_error_matches(request: HttpRequest) -> HttpResponse:
    """Known errors like the report being typed (an htmx fragment of the report form)."""
    user = request_user(request)
    service_id = request.GET.get("service") or None
    if service_id is not None and not service_id.isdigit():
        service_id = None
    matches = selectors.known_error_matches(
        user=user, service_id=service_id, title=request.GET.get("title", "")
    )
    context = {"matches": matches, "for_caller": request.GET.get("for") == "caller"}
    return render(request, "incidents/_known_error_matches.html", context)


# --- canned replies -------------------------------------------------------------------------
def _manageable_teams(user: User) -> Any:
    """Every active team for admins and managers, else the teams the user leads."""
    teams = Team.objects.filter(is_active=True).order_by("name")
    anyone_team = Team(lead_id=None)
    if services.may_manage_canned_replies(user, anyone_team):
        return teams
    return teams.filter(lead=user)


@login_required
@require_http_methods(["GET", "POST"])
def canned_reply_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    require_agent(user, "Canned replies")
    teams = _manageable_teams(user)
    form = CannedReplyForm(request.POST or None, teams=teams, prefix="new")
    status = 200
    if request.method == "POST":
        status = 400
        if not teams.exists():
            raise PermissionDenied(
                "Only team leads, managers and admins write canned replies.",
                code="canned_reply.permission",
            )
        if form.is_valid():
            try:
                reply = services.canned_reply_create(
                    actor=user,
                    team=form.cleaned_data["team"],
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"Canned reply “{reply.title}” saved for {reply.team}.")
                return redirect("canned-reply-list")
    team_id = request.GET.get("team", "")
    replies = selectors.canned_reply_list(
        user=user, filters={"team_id": team_id} if team_id.isdigit() else {}
    )
    manageable = set(teams.values_list("pk", flat=True))
    context = {
        "form": form if manageable else None,
        "page": paginate(request, replies),
        "manageable": manageable,
    }
    return render(request, "incidents/canned_replies.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def canned_reply_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    require_agent(user, "Canned replies")
    reply = selectors.canned_reply_get(user=user, pk=pk)
    if not services.may_manage_canned_replies(user, reply.team):
        raise PermissionDenied(
            f"Only the lead of {reply.team.name}, a manager or an admin manages its canned "
            "replies.",
            code="canned_reply.permission",
        )
    if request.method == "POST" and "delete" in request.POST:
        services.canned_reply_delete(reply=reply, actor=user)
        messages.success(request, f"Canned reply “{reply.title}” deleted.")
        return redirect("canned-reply-list")
    initial = {
        "team": reply.team,
        "title": reply.title,
        "body": reply.body,
        "is_active": reply.is_active,
    }
    teams = Team.objects.filter(pk=reply.team_id)
    form = CannedReplyForm(request.POST or None, teams=teams, initial=initial, prefix="edit")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.canned_reply_update(
                    reply=reply,
                    actor=user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    is_active=form.cleaned_data["is_active"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"Canned reply “{reply.title}” saved.")
                return redirect("canned-reply-list")
    context = {"form": form, "reply": reply}
    return render(request, "incidents/canned_reply_edit.html", context, status=status)


def canned_reply_text(user: User, incident: Any, pk: Any) -> str:
    """The reply with this ticket's placeholders filled in (for the reply box)."""
    from incidents.replies import fill, values_for

    try:
        reply = next(
            r
            for r in selectors.canned_replies_for(user=user, incident=incident)
            if str(r.pk) == str(pk)
        )
    except StopIteration:
        raise Http404("No such canned reply for this ticket.") from None
    return fill(reply.body, values_for(incident, user))


# --- the priority matrix, as a grid (admins) ------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def priority_matrix(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if Role.ADMIN not in user.roles:
        raise PermissionDenied("Only admins change the priority matrix.")
    current = selectors.priority_matrix()
    status, errors = 200, ""
    values = dict(current)
    if request.method == "POST":
        cells: dict[tuple[int, int], int] = {}
        for impact in Level.values:
            for urgency in Level.values:
                raw = request.POST.get(f"cell-{impact}-{urgency}", "")
                if raw.isdigit():
                    cells[(impact, urgency)] = int(raw)
        values.update(cells)
        try:
            changed = services.priority_matrix_update(actor=user, cells=cells)
        except DomainError as exc:
            status, errors = exc.status, exc.message
        else:
            messages.success(
                request,
                f"Priority matrix saved: {changed} cell{'' if changed == 1 else 's'} changed. "
                "New and re-triaged incidents use it.",
            )
            return redirect("priority-matrix")
    rows = [
        {
            "impact": impact,
            "label": label,
            "cells": [
                {"urgency": urgency, "priority": values.get((impact, urgency))}
                for urgency in Level.values
            ],
        }
        for impact, label in Level.choices
    ]
    context = {
        "rows": rows,
        "urgencies": Level.choices,
        "priorities": Priority.choices,
        "error": errors,
    }
    return render(request, "incidents/priority_matrix.html", context, status=status)
