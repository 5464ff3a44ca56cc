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


def messages_for(event: BypassEvent, payload: dict[str, Any]) -> list[Message]:
    request = event.request
    if request is None or event.type not in ("bypass.reminded", "bypass.escalated"):
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
