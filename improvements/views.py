"""Browser pages: the register (filters, votes), suggesting an improvement (on its own or from
a ticket, which becomes its evidence), an item with its evidence and history, the process
owner's view of their gates, and a process-debt item. Pages work without JavaScript; htmx
swaps the vote button in place."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from incidents.views.common import is_htmx, paginate, safe_next
from org.roles import request_user
from servicedesk import clock
from servicedesk.errors import DomainError, PermissionDenied

from . import access, evidence, selectors, services
from .choices import DebtStatus, Status
from .forms import DeclineForm, ReassignForm, RegisterFilterForm, SuggestForm
from .guards import Ctx
from .services.debt import may_handle_debt
from .transitions import IMPROVEMENT

DONE_TEXT = {
    "accept": "{ref} is accepted. The person who suggested it is told.",
    "start": "Work on {ref} has started. The person who suggested it is told.",
    "complete": "{ref} is done. The person who suggested it is told.",
    "decline": "{ref} is declined. The person who suggested it is told why.",
}
HISTORY = {
    "improvement.suggested": "suggested it",
    "improvement.accepted": "accepted it",
    "improvement.in_progress": "started work",
    "improvement.done": "marked it done",
    "improvement.declined": "declined it",
    "improvement.voted": "voted for it",
    "improvement.unvoted": "withdrew their vote",
    "improvement.reassigned": "reassigned it",
    "improvement.evidence_added": "linked evidence",
}
SERVICES = {
    "accept": services.improvement_accept,
    "start": services.improvement_start,
    "complete": services.improvement_complete,
}


def _with_nav(user: Any, context: dict[str, Any]) -> dict[str, Any]:
    return {**context, "sees_owner_view": selectors.sees_owner_view(user)}


@login_required
def register(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = RegisterFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    page = paginate(request, selectors.improvement_list(user=user, filters=filters))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "form": form,
        "filtered": bool(filters),
        "query": query.urlencode(),
        "here": "improvement-list",
    }
    return render(request, "improvements/list.html", _with_nav(user, context))


@login_required
@require_http_methods(["GET", "POST"])
def suggest(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    raw = str(request.POST.get("evidence") or request.GET.get("evidence") or "")
    target = None
    if raw:
        try:
            kind, pk = evidence.parse(raw)
            target = evidence.resolve(user=user, kind=kind, object_id=pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            raw = ""
    form = SuggestForm(request.POST or None, initial={"evidence": raw})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                row = services.improvement_suggest(
                    actor=user,
                    title=data["title"],
                    description=data["description"],
                    topic=data["topic"],
                    service=data["service"],
                    gate_id=data["gate_id"],
                    evidence_refs=[(target.kind, target.object_id)] if target else [],
                )
            except DomainError as exc:
                field = str(exc.details.get("field", "")) if isinstance(exc.details, dict) else ""
                field = {"service_id": "service"}.get(field, field)
                form.add_error(field if field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    f"Thank you: {row.ref} is in the register. You will be told what becomes "
                    "of it.",
                )
                return redirect("improvements:detail", pk=row.pk)
        else:
            status = 400
    context = {"form": form, "target": target, "here": "improvement-new"}
    return render(request, "improvements/new.html", _with_nav(user, context), status=status)


def _detail(request: HttpRequest, pk: Any, *, status: int = 200, forms: Any = None) -> HttpResponse:
    user = request_user(request)
    row = selectors.improvement_get(user=user, pk=pk)
    forms = forms or {}
    actions = IMPROVEMENT.available(row.status, Ctx(obj=row, actor=user, now=clock.now()))
    context = {
        "i": row,
        "evidence": list(selectors.improvement_evidence(improvement=row)),
        "events": [
            {"e": e, "what": HISTORY.get(e.type, e.type)}
            for e in selectors.improvement_events(improvement=row)
        ],
        "actions": [a for a in actions if a != "decline"],
        "action_labels": {t: IMPROVEMENT.get(t).label.capitalize() for t in actions},
        "can_decline": "decline" in actions,
        "can_reassign": access.is_steward(user)
        and row.status not in (Status.DONE, Status.DECLINED),
        "can_vote": row.status not in (Status.DONE, Status.DECLINED),
        "decline_form": forms.get("decline") or DeclineForm(prefix="d"),
        "reassign_form": forms.get("reassign")
        or ReassignForm(prefix="r", initial={"owner": row.owner_id}),
        "here": "improvement-detail",
    }
    return render(request, "improvements/detail.html", _with_nav(user, context), status=status)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request)
    row = selectors.improvement_get(user=user, pk=pk)
    try:
        if action == "decline":
            form = DeclineForm(request.POST, prefix="d")
            if not form.is_valid():
                return _detail(request, pk, status=400, forms={"decline": form})
            try:
                services.improvement_decline(
                    improvement=row, actor=user, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                if exc.code == "guard_failed.improvement.reason":
                    form.add_error("reason", exc.message)
                    return _detail(request, pk, status=exc.status, forms={"decline": form})
                raise
        elif action == "reassign":
            reassign = ReassignForm(request.POST, prefix="r")
            if not reassign.is_valid():
                return _detail(request, pk, status=400, forms={"reassign": reassign})
            owner = reassign.cleaned_data["owner"]
            services.improvement_reassign(improvement=row, owner=owner, actor=user)
            messages.success(request, f"{row.ref} is now owned by {owner.name}, who is told.")
            return redirect("improvements:detail", pk=row.pk)
        elif action in SERVICES:
            SERVICES[action](improvement=row, actor=user)
        else:
            messages.error(request, f"There is no action “{action}” on an improvement.")
            return redirect("improvements:detail", pk=row.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("improvements:detail", pk=row.pk)
    messages.success(request, DONE_TEXT[action].format(ref=row.ref))
    return redirect("improvements:detail", pk=row.pk)


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    row = selectors.improvement_get(user=user, pk=pk)
    try:
        row, voted = services.improvement_vote_toggle(improvement=row, actor=user)
    except DomainError as exc:
        if is_htmx(request):
            return HttpResponse(exc.message, status=exc.status)
        messages.error(request, exc.message)
        return redirect(safe_next(request) or f"/improvements/{pk}/")
    if is_htmx(request):
        fresh = selectors.improvement_get(user=user, pk=pk)
        return render(request, "improvements/_vote.html", {"i": fresh, "can_vote": True})
    messages.success(
        request,
        f"Your vote for {row.ref} is counted."
        if voted
        else f"Your vote for {row.ref} is withdrawn.",
    )
    return redirect(safe_next(request) or f"/improvements/{pk}/")


@login_required
def owner_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not selectors.sees_owner_view(user):
        raise PermissionDenied(
            "The process owner's view is for the owners of gates and those who oversee "
            "bypasses (managers, change authority, process owners)."
        )
    context = {
        "gates": selectors.owner_view(user=user),
        "debts": list(selectors.debt_list(user=user, filters={"status": DebtStatus.OPEN})[:50]),
        "here": "improvement-owners",
    }
    return render(request, "improvements/owners.html", _with_nav(user, context))


@login_required
def debt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    row = selectors.debt_get(user=user, pk=pk)
    from bypass import gates

    context = {
        "d": row,
        "gate": gates.get(row.gate_id),
        "requests": selectors.debt_requests(row),
        "can_convert": row.status == DebtStatus.OPEN and may_handle_debt(user, row),
        "here": "improvement-owners",
    }
    return render(request, "improvements/debt.html", _with_nav(user, context))


@login_required
@require_POST
def debt_convert(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    row = selectors.debt_get(user=user, pk=pk)
    try:
        improvement = services.debt_convert(debt_item=row, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("improvements:debt", pk=row.pk)
    messages.success(request, f"{row.ref} is now improvement {improvement.ref}.")
    return redirect("improvements:detail", pk=improvement.pk)
