"""Hand-built data for the metrics tests: rows with exact timestamps (metrics only read, so
the tests write the facts the other apps' services would have written, events included)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from changes.models import Change, ChangeEvent
from incidents.models import Incident, IncidentEvent, IncidentSla, Satisfaction, SlaPause


def at(text: str) -> datetime:
    """``"2026-03-02 10:00"`` → aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def incident(
    requester: Any,
    *,
    created: str,
    resolved: str | None = None,
    status: str | None = None,
    assignments: int = 1,
    actor: Any = None,
    **fields: Any,
) -> Incident:
    fields.setdefault("priority", 3)
    for name, value in list(fields.items()):
        if name.endswith("_at") and isinstance(value, str):
            fields[name] = at(value)
    status = status or ("resolved" if resolved else "in_progress")
    row = Incident.objects.create(
        title="Something broke",
        requester=requester,
        reported_by=requester,
        created_at=at(created),
        resolved_at=at(resolved) if resolved else None,
        status=status,
        resolution_code="fixed" if resolved else "",
        **fields,
    )
    for _ in range(assignments):
        event(row, "incident.assigned", created, actor or requester, to_status="assigned")
    if resolved:
        event(row, "incident.resolved", resolved, actor or requester, to_status="resolved")
    return row


def event(
    row: Incident, type: str, when: str, actor: Any, to_status: str = "", **payload: Any
) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=row,
        type=type,
        to_status=to_status,
        actor=actor,
        actor_name=actor.name,
        payload=payload,
        created_at=at(when),
    )


def rating(row: Incident, stars: int, when: str, comment: str = "") -> Satisfaction:
    return Satisfaction.objects.create(
        incident=row,
        resolution_number=row.reopened_count + 1,
        rating=stars,
        comment=comment,
        rated_by=row.requester,
        created_at=at(when),
    )


def change(requester: Any, **fields: Any) -> Change:
    for name in ("created_at", "submitted_at", "ended_at", "restored_at"):
        if isinstance(fields.get(name), str):
            fields[name] = at(fields[name])
    fields.setdefault("created_at", fields.get("submitted_at") or at("2026-03-01 00:00"))
    fields.setdefault("status", "implemented" if fields.get("outcome") else "draft")
    services = fields.pop("services", [])
    row = Change.objects.create(title="A change", requester=requester, **fields)
    row.services.set(services)
    return row


def change_event(row: Change, type: str, when: str, actor: Any, **payload: Any) -> ChangeEvent:
    return ChangeEvent.objects.create(
        change=row,
        type=type,
        actor=actor,
        actor_name=actor.name,
        payload=payload,
        created_at=at(when),
    )


def pause(row: Incident, reason: str, start: str, end: str | None = None) -> SlaPause:
    """An SLA pause (what ``incidents.services.sla`` opens when an incident goes pending)."""
    return SlaPause.objects.create(
        incident=row, reason=reason, started_at=at(start), ended_at=at(end) if end else None
    )


def sla(row: Incident, **fields: Any) -> IncidentSla:
    """The stored SLA state of ``row`` (as ``sla_refresh`` leaves it); durations in hours,
    instants as text."""
    for name, value in list(fields.items()):
        if name.endswith(("_target", "_elapsed")) and isinstance(value, int | float):
            fields[name] = timedelta(hours=value)
        elif isinstance(value, str) and name.endswith("_at"):
            fields[name] = at(value)
    fields.setdefault("started_at", row.created_at)
    fields.setdefault("responded_at", row.first_response_at)
    return IncidentSla.objects.create(incident=row, **fields)
