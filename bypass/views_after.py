"""Pages after and around a bypass: declaring break-glass (from the refusal a blocked person
sees), the review after use, and the process owners' standard bypasses and suspended
break-glass rights."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from org.choices import Role
from org.roles import request_user
from servicedesk import clock
from servicedesk.errors import DomainError, PermissionDenied

from . import gates, selectors, services
from .forms_after import BreakGlassForm, NoteForm, ReviewForm, StandardBypassForm
from .services.breakglass import STEP_UP_CODE, policy_for, why_not_eligible
from .services.review import may_review, needs_review


def step_up_failed(request: HttpRequest, user: Any) -> DomainError | None:
    """A wrong password at break-glass counts against the sign-in throttle like a failed
    sign-in. When it is the one that locks the person out, the refusal that says so (in the
    page's or the API's own shape, not the sign-in lockout page)."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    if getattr(request, "axes_locked_out", False):
        request.axes_locked_out = False  # type: ignore[attr-defined]
        return locked_error()
    return None


def locked_error() -> PermissionDenied:
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return PermissionDenied(
        "Too many wrong passwords: confirming who you are is paused for "
        f"{minutes} minutes, as sign-in is. Ask a colleague on call, or request a bypass.",
        code="bypass.break_glass.locked",
    )


def refuse_if_locked(request: HttpRequest, user: Any) -> None:
    """While sign-in is locked out for this person (too many wrong passwords, here or at
    sign-in), the step-up is refused too, so it cannot be used to guess a password."""
    from axes.handlers.proxy import AxesProxyHandler

    if AxesProxyHandler.is_locked(request, {"username": user.get_username()}):
        raise locked_error()


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    source = request.POST if request.method == "POST" else request.GET
    gate_id = str(source.get("gate", ""))[:100]
    gate = gates.get(gate_id)
    policy = policy_for(gate_id) if gate else None
    initial = {
        "gate": gate_id,
        "subject_type": request.GET.get("subject_type", ""),
        "subject_id": request.GET.get("subject_id", ""),
        "refusal": request.GET.get("refusal", "")[:4000],
    }
    form = BreakGlassForm(request.POST or None, initial=initial)
    subject_type = str(source.get("subject_type", ""))
    subject_id = str(source.get("subject_id", ""))
    subject = None
    if subject_id.isdigit() and len(subject_id) < 16:
        subject = gates.subject_facts(subject_type, int(subject_id))
    refusal = why_not_eligible(user, gate_id) if gate else "Open this page from a blocked step."
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                refuse_if_locked(request, user)
                row = services.bypass_break_glass(
                    actor=user,
                    gate_id=d["gate"],
                    subject_type=d["subject_type"],
                    subject_id=d["subject_id"],
                    incident_id=d["incident"],
                    password=d["password"],
                    justification=d["justification"],
                    refusal=d.get("refusal", ""),
                )
            except DomainError as exc:
                if exc.code == STEP_UP_CODE:
                    exc = step_up_failed(request, user) or exc
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    f"{row.ref}: break-glass is in effect until "
                    f"{row.valid_until:%d %b %H:%M} UTC for {row.max_uses} use(s). The approvers "
                    "and the process owner are alerted; it must be ratified.",
                )
                url = (subject or {}).get("url")
                return redirect(url) if url else redirect("bypass:detail", pk=row.pk)
        else:
            status = 400
    context = {
        "form": form,
        "gate": gate,
        "policy": policy,
        "subject": subject,
        "refusal": refusal,
        "here": "bypass-break-glass",
    }
    return render(request, "bypass/break_glass.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    row = selectors.bypass_get(user=user, pk=pk)
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.bypass_review(
                    request=row,
                    actor=user,
                    outcome=d["outcome"],
                    misfit=d["misfit"],
                    proposal=d["proposal"],
                    links=d["links"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"Thank you: {row.ref} is reviewed and closed.")
                return redirect("bypass:detail", pk=row.pk)
        else:
            status = 400
    existing = getattr(row, "review", None) if not needs_review(row) else None
    context = {
        "r": row,
        "form": form,
        "existing": existing,
        "due": needs_review(row),
        "allowed": may_review(row, user),
        "learning": row.ratification == "repudiated",
        "here": "bypass-review",
    }
    return render(request, "bypass/review.html", context, status=status)


def _owner(user: Any) -> None:
    if not (user.has_role(Role.PROCESS_OWNER) or user.has_role(Role.ADMIN)):
        raise PermissionDenied(
            "Standard bypasses and break-glass rights are managed by process owners.",
            code="bypass.permission.standard",
        )


@login_required
@require_http_methods(["GET", "POST"])
def standard(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _owner(user)
    form = StandardBypassForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                row = services.bypass_standard_create(actor=user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"“{row.title}” now pre-approves matching requests.")
                return redirect("bypass:standard")
        else:
            status = 400
    now = clock.now()
    context = {
        "rows": selectors.standard_list(now=now),
        "suspensions": selectors.suspension_list(),
        "form": form,
        "note_form": NoteForm(),
        "now": now,
        "here": "bypass-standard",
    }
    return render(request, "bypass/standard.html", context, status=status)


@login_required
@require_POST
def standard_review(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    form = NoteForm(request.POST)
    keep = request.POST.get("keep") == "1"
    try:
        if not form.is_valid():
            raise PermissionDenied("Write a note for the review.", code="bypass.standard.note")
        row = services.bypass_standard_review(
            standard=pk, actor=user, keep=keep, note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"“{row.title}” is {'kept' if keep else 'retired'}; the review is logged."
        )
    return redirect("bypass:standard")


@login_required
@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    form = NoteForm(request.POST)
    try:
        row = services.bypass_break_glass_restore(
            suspension=pk, actor=user, note=form.data.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"{row.user.name}'s break-glass right on {row.gate_id} is restored."
        )
    return redirect("bypass:standard")
