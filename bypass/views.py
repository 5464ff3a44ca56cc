"""Browser pages: file a bypass request (pre-filled from a blocked gate), my requests, the
managers' approval inbox, a request's detail with its timeline and ledger receipts."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from incidents.views.common import paginate
from org.roles import request_user
from servicedesk import clock
from servicedesk.errors import DomainError

from . import approvals, gates, obligations, selectors, services
from .choices import RATIFICATION_STATES, State
from .forms import AnswerForm, BypassRequestForm, CommentForm, ReasonForm, VerdictForm
from .models import BypassObligation, BypassRequest
from .services.decisions import may_decide, why_not_eligible
from .services.review import may_review, needs_review


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    rows = selectors.bypass_list(user=user).filter(requester=user) | selectors.bypass_list(
        user=user
    ).filter(beneficiary=user)
    page = paginate(request, rows.order_by("-id"))
    return render(request, "bypass/list.html", {"page": page, "here": "bypass-list"})


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    items = []
    for row in selectors.bypass_inbox(user=user):
        items.append(
            {
                "r": row,
                **_explain(row),
                "form": (VerdictForm if row.state in RATIFICATION_STATES else CommentForm)(
                    prefix=f"r{row.pk}"
                ),
                "glass": row.state in RATIFICATION_STATES,
                "overdue": row.state in RATIFICATION_STATES
                and row.ratification_due_at is not None
                and row.ratification_due_at <= clock.now(),
            }
        )
    groups = set(user.groups.values_list("name", flat=True))
    overdue = obligations.overdue(now=clock.now(), owner_groups=groups) if groups else []
    context = {"items": items, "overdue": overdue, "here": "bypass-inbox"}
    return render(request, "bypass/inbox.html", context)


@login_required
@require_POST
def obligation_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a deferred or added step done (the bypass's parties, or the gate's owners)."""
    user = request_user(request)
    row = BypassObligation.objects.select_related("request").filter(pk=pk).first()
    if row is None:
        raise Http404("No such obligation.")
    try:
        services.bypass_obligation_done(
            obligation=row, actor=user, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{row.text}” on {row.subject_ref} is done.")
    if request.POST.get("next") == "inbox":
        return redirect("bypass:inbox")
    return redirect("bypass:detail", pk=row.request_id)


def _explain(row: BypassRequest) -> dict[str, Any]:
    plan = approvals.Plan.from_dict(row.plan)
    item_rows = []
    for item in row.items.all():
        gate = gates.get(item.gate_id)
        item_rows.append(
            {
                "item": item,
                "gate_title": gate.title if gate else item.gate_id,
                "value": (item.value or {}).get("value"),
            }
        )
    return {
        "plan": plan,
        "items": item_rows,
        "recurrence": (row.risk_inputs or {}).get("text", ""),
    }


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    initial: dict[str, Any] = {
        "gate": request.GET.get("gate", ""),
        "subject_type": request.GET.get("subject_type", ""),
        "subject_id": request.GET.get("subject_id", ""),
        "refusal": request.GET.get("refusal", "")[:4000],
        "max_uses": 1,
    }
    gate = gates.get(str(initial["gate"]))
    if gate is not None and len(gate.treatments) == 1:
        initial["treatment"] = next(iter(gate.treatments))
    form = BypassRequestForm(request.POST or None, initial=initial)
    subject = None
    subject_type = str(request.POST.get("subject_type") or initial["subject_type"])
    subject_id = str(request.POST.get("subject_id") or initial["subject_id"])
    if subject_id.isdigit() and len(subject_id) < 16:
        subject = gates.subject_facts(subject_type, int(subject_id))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                row = services.bypass_create(actor=user, **form.service_kwargs())
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"{row.ref} is submitted for approval.")
                return redirect("bypass:detail", pk=row.pk)
        else:
            status = 400
    return render(
        request,
        "bypass/new.html",
        {"form": form, "subject": subject, "gate": gate, "here": "bypass-new"},
        status=status,
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


def _detail(request: HttpRequest, pk: int, *, status: int = 200, forms: Any = None) -> HttpResponse:
    user = request_user(request)
    row = selectors.bypass_get(user=user, pk=pk)
    events = list(selectors.bypass_events(row))
    decisions = list(row.decisions.order_by("id"))
    receipts = {e.seq: e for e in events}
    forms = forms or {}
    is_requester = user.pk == row.requester_id
    context = {
        "r": row,
        **_explain(row),
        "events": events,
        "decisions": [
            {
                "d": d,
                "receipt": receipts.get(d.ledger_seq),
                "current": d.scope_hash == row.scope_hash,
            }
            for d in decisions
        ],
        "uses": [{"u": u, "receipt": receipts.get(u.ledger_seq)} for u in row.uses.all()],
        "obligations": list(row.obligations.select_related("done_by")),
        "subject": gates.subject_facts(row.subject_type, row.subject_id),
        "can_decide": may_decide(row, user),
        "can_ratify": row.state in RATIFICATION_STATES
        and not row.ratification
        and why_not_eligible(row, user) is None
        and not row.decisions.filter(approver=user, verdict__in=["ratify", "repudiate"]).exists(),
        "review_due": needs_review(row) and may_review(row, user),
        "review": getattr(row, "review", None) if row.state == State.CLOSED else None,
        "why_not": why_not_eligible(row, user) if row.state == State.IN_REVIEW else None,
        "can_respond": is_requester and row.state == State.AWAITING_REQUESTER,
        "can_withdraw": user.pk in (row.requester_id, row.beneficiary_id)
        and row.state in (State.DRAFT, State.SUBMITTED, State.IN_REVIEW, State.AWAITING_REQUESTER),
        "can_submit": is_requester and row.state == State.DRAFT,
        "can_revoke": row.state in (State.APPROVED, State.ACTIVE)
        and (user.pk in approvals.Plan.from_dict(row.plan).approver_ids or selectors.sees_all(user))
        and user.pk not in (row.requester_id, row.beneficiary_id),
        "decision_form": forms.get("decide") or CommentForm(prefix="d"),
        "verdict_form": forms.get("decide") or VerdictForm(prefix="d"),
        "answer_form": forms.get("respond") or AnswerForm(prefix="a"),
        "reason_form": forms.get("reason") or ReasonForm(prefix="w"),
        "here": "bypass-detail",
    }
    return render(request, "bypass/detail.html", context, status=status)


@login_required
@require_POST
def request_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request)
    row = selectors.bypass_get(user=user, pk=pk)
    prefix = request.POST.get("prefix", "d")
    if action in ("approve", "reject", "request-info", "ratify", "repudiate"):
        form: Any = CommentForm(request.POST, prefix=prefix)
        key = "decide"
    elif action == "respond":
        form, key = AnswerForm(request.POST, prefix="a"), "respond"
    elif action in ("withdraw", "revoke", "submit"):
        form, key = ReasonForm(request.POST, prefix="w"), "reason"
    else:
        raise Http404("No such action.")
    if not form.is_valid():
        return _detail(request, row.pk, status=400, forms={key: form})
    data = form.cleaned_data
    try:
        if action == "approve":
            row = services.bypass_approve(request=row, actor=user, comment=data["comment"])
        elif action == "reject":
            row = services.bypass_reject(request=row, actor=user, comment=data["comment"])
        elif action == "request-info":
            row = services.bypass_request_info(request=row, actor=user, comment=data["comment"])
        elif action == "ratify":
            row = services.bypass_ratify(request=row, actor=user, comment=data["comment"])
        elif action == "repudiate":
            row = services.bypass_repudiate(request=row, actor=user, comment=data["comment"])
        elif action == "respond":
            row = services.bypass_respond(request=row, actor=user, answer=data["answer"])
        elif action == "withdraw":
            row = services.bypass_withdraw(request=row, actor=user, reason=data["reason"])
        elif action == "revoke":
            row = services.bypass_revoke(request=row, actor=user, reason=data["reason"])
        else:
            row = services.bypass_submit(request=row, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        if request.POST.get("next") == "inbox":
            return redirect("bypass:inbox")
        return _detail(request, row.pk, status=exc.status, forms={key: form})
    if action == "ratify" and row.ratification == "ratified":
        messages.success(request, f"{row.ref} is ratified.")
    elif action == "ratify":
        messages.success(request, f"Your ratification of {row.ref} is recorded.")
    else:
        messages.success(request, f"{row.ref} is now {row.get_state_display().lower()}.")
    if request.POST.get("next") == "inbox":
        return redirect("bypass:inbox")
    return redirect("bypass:detail", pk=row.pk)
