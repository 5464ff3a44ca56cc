"""What the approvers of a pending bypass request are told when the sweep reminds them or
escalates to the policy's fallback authority: in-app and (per their preference) by e-mail,
through the notifications app and the outbox. Nothing is ever approved by timeout."""

from typing import Any

from notifications.choices import Kind
from notifications.services import Message
from org.models import User

from . import approvals, gates
from .models import BypassEvent, BypassRequest


def notify_key(seq: int) -> str:
    return f"bypass-notify:{seq}"


def _gates(request: BypassRequest) -> str:
    titles = []
    for item in request.items.all():
        gate = gates.get(item.gate_id)
        titles.append(f"“{gate.title}”" if gate else item.gate_id)
    return ", ".join(titles) or "a process step"


AFTER_USE = (
    "bypass.review_opened",
    "bypass.review_reminded",
    "bypass.ratified",
    "bypass.repudiated",
)


def messages_for(event: BypassEvent, payload: dict[str, Any]) -> list[Message]:
    request = event.request
    if request is None:
        return []
    if event.type == "bypass.break_glass_started":
        return _break_glass(event, request)
    if event.type in AFTER_USE:
        return _after_use(event, request)
    if event.type == "bypass.escalated" and request.kind == "break_glass":
        return _ratification_overdue(request, payload)
    if event.type not in ("bypass.reminded", "bypass.escalated"):
        return []
    link = f"/bypass/{request.pk}/"
    voted = set(
        request.decisions.filter(scope_hash=request.scope_hash).values_list(
            "approver_id", flat=True
        )
    )
    summary = (
        f"{request.requester.name} asks to bypass {_gates(request)} for {request.subject_ref}: "
        f"“{request.justification}”"
    )
    if event.type == "bypass.reminded":
        ids = set(payload.get("approvers", ())) - voted
        title = f"Reminder: {request.ref} awaits your decision"
        body = (
            f"{summary}\n\nIt has waited for a decision since "
            f"{(request.submitted_at or request.created_at):%d %b %Y %H:%M} UTC. Nothing is "
            "approved by timeout: approve it, reject it or ask for information in your inbox."
        )
    else:
        # Everyone who may now decide: the plan's approvers and the fallback authority added.
        plan = approvals.Plan.from_dict(request.plan)
        ids = (set(plan.approver_ids) | set(payload.get("added", ()))) - voted
        fallback = payload.get("fallback") or "the fallback authority"
        title = f"{request.ref} is escalated to {fallback}"
        body = (
            f"{summary}\n\nNobody decided in time, so the policy's fallback authority "
            f"({fallback}) may now decide. Nothing is approved by timeout: approve it, reject it "
            "or ask for information in your inbox."
        )
    people = User.objects.filter(pk__in=ids, is_active=True).order_by("pk")
    return [
        Message(recipient=p, kind=Kind.BYPASS_APPROVAL, title=title, body=body, link=link)
        for p in people
    ]


def _break_glass(event: BypassEvent, request: BypassRequest) -> list[Message]:
    """At once: the approvers who must ratify, the gate's owners and the process owners."""
    plan = approvals.Plan.from_dict(request.plan)
    names = {"Process owners"}
    for item in request.items.all():
        gate = gates.get(item.gate_id)
        if gate is not None:
            names.add(gate.owner)
    owners = set(
        User.objects.filter(groups__name__in=names, is_active=True).values_list("pk", flat=True)
    )
    ids = (set(plan.approver_ids) | owners) - {request.requester_id}
    title = (
        f"Break-glass: {request.requester.name} bypassed {_gates(request)} on {request.subject_ref}"
    )
    due = request.ratification_due_at
    body = (
        f"Declared during {request.incident_ref}: “{request.justification}”\n\n"
        f"It is in effect now until {request.valid_until:%d %b %Y %H:%M} UTC for at most "
        f"{request.max_uses} use(s), on this gate only. Ratify or repudiate it in your inbox"
        + (f" by {due:%d %b %Y %H:%M} UTC." if due else ".")
    )
    people = User.objects.filter(pk__in=ids, is_active=True).order_by("pk")
    return [
        Message(
            recipient=p,
            kind=Kind.BREAK_GLASS,
            title=title,
            body=body,
            link=f"/bypass/{request.pk}/",
        )
        for p in people
    ]


def _after_use(event: BypassEvent, request: BypassRequest) -> list[Message]:
    """The requester (and beneficiary): their review after use is due, or overdue."""
    if event.to_state not in ("", "under_review") or request.state != "under_review":
        return []
    due = f"{request.review_due_at:%d %b %Y}" if request.review_due_at else "soon"
    if event.type == "bypass.review_reminded":
        title = f"Overdue: your review of {request.ref}"
    elif event.type == "bypass.repudiated":
        title = f"{request.ref} was repudiated: a blameless learning review is due"
    else:
        title = f"{request.ref} awaits your review after use"
    body = (
        f"You used {_gates(request)} on {request.subject_ref}. Say how it turned out and what "
        f"about the process did not fit (due {due}); the request closes when the review is in."
    )
    people = User.objects.filter(
        pk__in={request.requester_id, request.beneficiary_id}, is_active=True
    ).order_by("pk")
    return [
        Message(
            recipient=p,
            kind=Kind.BYPASS_REVIEW,
            title=title,
            body=body,
            link=f"/bypass/{request.pk}/review/",
        )
        for p in people
    ]


def _ratification_overdue(request: BypassRequest, payload: dict[str, Any]) -> list[Message]:
    plan = approvals.Plan.from_dict(request.plan)
    voted = set(request.decisions.values_list("approver_id", flat=True))
    ids = (set(plan.approver_ids) | set(payload.get("added", ()))) - voted
    fallback = payload.get("fallback") or "the next authority"
    title = f"Ratification of break-glass {request.ref} is overdue: escalated to {fallback}"
    body = (
        f"{request.requester.name} broke glass on {_gates(request)} for {request.subject_ref} "
        f"during {request.incident_ref}. Nobody ratified or repudiated it in time; it stays in "
        "your inbox until someone does."
    )
    people = User.objects.filter(pk__in=ids, is_active=True).order_by("pk")
    return [
        Message(recipient=p, kind=Kind.BYPASS_REVIEW, title=title, body=body, link="/bypass/inbox/")
        for p in people
    ]
