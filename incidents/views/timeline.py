"""The ticket timeline: events, comments and attachments merged into one list."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidents.choices import (
    PendingReason,
    ResolutionCode,
)
from incidents.models import IncidentAttachment, IncidentComment, IncidentEvent


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
    if kind == "routed":  # "routed to Network by rule 'VPN outages'"
        return event.reason or "routed it"
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
    if kind == "priority_overridden":
        old, new = (p.get("priority") or [None, None])[:2]
        receipt = f", receipt #{p['receipt']}" if p.get("receipt") else ""
        return (
            f"priority P{old} → P{new} by bypass {p.get('source', '')}{receipt} "
            f"(the matrix says P{p.get('matrix_priority')})"
        )
    if kind == "queue_jumped":
        receipt = f", receipt #{p['receipt']}" if p.get("receipt") else ""
        return (
            f"moved it ahead of the queue's normal order by bypass {p.get('source', '')}{receipt}"
        )
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
    if kind == "edited":
        changes = p.get("changes", {})
        parts = []
        if "title" in changes:
            parts.append(
                f"changed the title from “{changes['title']['old']}” to “{changes['title']['new']}”"
            )
        if "description" in changes:
            parts.append("edited the description")
        return " and ".join(parts) or "edited it"
    if kind == "attachment_added":
        return f"attached {p.get('filename', 'a file')}"
    if kind == "watcher_added":
        return f"added {p.get('user', 'someone')} as a watcher"
    if kind == "watcher_removed":
        return f"removed {p.get('user', 'someone')} from the watchers"
    if kind == "rated":
        return f"rated the resolution {p.get('rating')}/5"
    if kind == "problem_linked":
        if p.get("me_too"):
            return f"said it is happening to them too (known error {p.get('problem', '')})"
        return f"linked it to problem {p.get('problem', '')}"
    if kind == "problem_moved":
        return f"moved it from problem {p.get('previous_problem', '')} to {p.get('problem', '')}"
    if kind == "problem_unlinked":
        return f"unlinked it from problem {p.get('previous_problem', '')}"
    if kind == "merged":
        return f"merged it into {p.get('into', '')}, which is handled instead (a duplicate)"
    if kind == "merge_received":
        return f"merged {p.get('from', '')} into this ticket; its requester follows this one"
    if kind == "workaround_published":  # problems are for analysts: no reference for others
        source = f" from {p.get('problem', '')}" if agent else ""
        if p.get("me_too"):
            return f"received the workaround of a known error{source}"
        return f"published a workaround{source}"
    return event.type


def build_timeline(
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
                body="" if event.type == "incident.routed" else event.reason,
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
