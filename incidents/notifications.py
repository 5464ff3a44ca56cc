"""Who hears about an incident event, and what they read. Pure reading: the messages are
written and e-mailed by ``notifications.services`` from a task on the notifications queue,
scheduled through ``notifications.dispatch.schedule`` (the one dispatch point)."""

import zoneinfo
from datetime import datetime
from typing import Any

from django.conf import settings

from notifications.choices import Kind
from notifications.services import Message

from . import access
from .choices import PendingReason
from .models import Escalation, Incident, IncidentEvent

# Public updates the requester and watchers hear about.
SUBJECTS = {
    "incident.commented": "New reply on {ref}",
    "incident.started": "{ref} is being worked on",
    "incident.pended": "{ref} is on hold",
    "incident.resolved": "{ref} is resolved: please confirm and rate",
    "incident.reopened": "{ref} was reopened",
    "incident.cancelled": "{ref} was cancelled",
    "incident.workaround_published": "A workaround for {ref}",
    "incident.merged": "{ref} was merged into another ticket",
}
# What the assignee hears when the requester (or a follower) acts.
FROM_REQUESTER = {
    "incident.commented": "{who} replied on {ref}",
    "incident.reopened": "{who} reopened {ref}",
    "incident.cancelled": "{who} cancelled {ref}",
}


def link(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/"


def _when(moment: datetime | None, person: Any) -> str:
    if moment is None:
        return "not set"
    try:
        zone = zoneinfo.ZoneInfo(person.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %Y, %H:%M} ({zone.key})"


def _facts(incident: Incident, person: Any) -> list[str]:
    return [
        f"Reference: {incident.ref}",
        f"Title: {incident.title}",
        f"Priority: {incident.get_priority_display()}",
        f"Requester: {incident.requester.name}",
        f"Expected fix: {_when(incident.due_at, person)}",
    ]


def messages_for(event: IncidentEvent) -> list[Message]:
    """Every message one event causes, at most one per person, never to the actor."""
    if event.is_internal:
        return []
    incident = event.incident
    out: dict[int, Message] = {}

    def add(person: Any, kind: str, title: str, body: str) -> None:
        if person is None or person.pk in out:
            return
        if person.pk == event.actor_id and kind != Kind.TICKET_LOGGED:  # a receipt always goes
            return
        out[person.pk] = Message(person, kind, title, body, link(incident))

    if event.type == "incident.created":
        _created(event, incident, add)
    elif event.type == "incident.assigned":
        _assigned(event, incident, add)
    elif event.type == "incident.routed":
        _routed(event, incident, add)
    elif event.type in SUBJECTS:
        _update(event, incident, add)
    return list(out.values())


def _created(event: IncidentEvent, incident: Incident, add: Any) -> None:
    requester = incident.requester
    for_you = ""
    if incident.reported_by_id != requester.pk:
        channel = incident.get_channel_display().lower()
        for_you = f"{event.actor_name} logged this for you (by {channel}).\n\n"
    add(
        requester,
        Kind.TICKET_LOGGED,
        f"{incident.ref} is logged: {incident.title}",
        f"{for_you}Thank you: we have your report and will keep you posted here.\n\n"
        + "\n".join(_facts(incident, requester))
        + "\n\nReply on the ticket page to add anything, or to tell us it works again.",
    )
    if incident.team_id and incident.assignee_id is None:
        _team(incident, add)


def _team(incident: Incident, add: Any) -> None:
    team = incident.team
    assert team is not None
    for member in team.members.filter(is_active=True).order_by("pk"):
        add(
            member,
            Kind.TEAM_QUEUE,
            f"New in {team.name}'s queue: {incident.ref} {incident.title}",
            f"{incident.ref} is waiting in {team.name}'s queue with nobody assigned.\n\n"
            + "\n".join(_facts(incident, member)),
        )


def _assigned(event: IncidentEvent, incident: Incident, add: Any) -> None:
    payload = event.payload or {}
    assignee_id = payload.get("assignee_id")
    if assignee_id and assignee_id == incident.assignee_id and not payload.get("taken"):
        assignee = incident.assignee
        team = f" ({incident.team.name})" if incident.team else ""
        add(
            assignee,
            Kind.ASSIGNED,
            f"{incident.ref} is assigned to you: {incident.title}",
            f"{event.actor_name} assigned {incident.ref} to you{team}.\n\n"
            + "\n".join(_facts(incident, assignee)),
        )
    previous_team = (payload.get("previous") or {}).get("team_id")
    if (
        not assignee_id
        and incident.assignee_id is None
        and incident.team_id
        and payload.get("team_id") == incident.team_id
        and previous_team != incident.team_id
    ):
        _team(incident, add)


def _routed(event: IncidentEvent, incident: Incident, add: Any) -> None:
    """A routing rule chose the team or the person: they hear of it like an assignment; the
    people and teams the rule names to notify hear of it too."""
    from org.models import Team, User

    payload = event.payload or {}
    rule = payload.get("rule", "")
    assignee_id = payload.get("assignee_id")
    if assignee_id and assignee_id == incident.assignee_id:
        assignee = incident.assignee
        add(
            assignee,
            Kind.ASSIGNED,
            f"{incident.ref} is assigned to you: {incident.title}",
            f"The routing rule '{rule}' assigned {incident.ref} to you.\n\n"
            + "\n".join(_facts(incident, assignee)),
        )
    previous_team = (payload.get("previous") or {}).get("team_id")
    if (
        incident.assignee_id is None
        and incident.team_id
        and payload.get("team_id") == incident.team_id
        and previous_team != incident.team_id
    ):
        _team(incident, add)
    people = list(User.objects.filter(pk__in=payload.get("notify_user_ids") or [], is_active=True))
    for team in Team.objects.filter(pk__in=payload.get("notify_team_ids") or []):
        people += list(team.members.filter(is_active=True).order_by("pk"))
    for person in people:
        add(
            person,
            Kind.TEAM_QUEUE,
            f"Routing rule '{rule}': {incident.ref} {incident.title}",
            f"The routing rule '{rule}' asks you to look at {incident.ref}: {event.reason}.\n\n"
            + "\n".join(_facts(incident, person)),
        )


def _update(event: IncidentEvent, incident: Incident, add: Any) -> None:
    actor = event.actor
    from_requester_side = access.is_party(actor, incident) or not access.is_agent(actor)
    lines = [
        f"{incident.ref}: {incident.title}",
        f"Status: {incident.get_status_display()}",
        "",
    ]
    if event.type == "incident.commented":
        comment_id = (event.payload or {}).get("comment_id") or 0
        comment = incident.comments.filter(pk=comment_id).first()
        if comment is not None:
            lines += [f"{event.actor_name} wrote:", comment.body]
    elif event.type == "incident.merged":
        into = event.payload.get("into", "")
        lines += [
            f"{event.actor_name} found that this is the same as {into}: "
            f"{event.payload.get('into_title', '')}.",
            f"It is handled there; you can follow it as a watcher:"
            f" {settings.SITE_URL}/incidents/{event.payload.get('into_id')}/",
        ]
        if event.reason:
            lines += ["", event.reason]
    elif event.reason:
        lines += [event.reason]
    body = "\n".join(lines).rstrip()
    if from_requester_side and event.type in FROM_REQUESTER and incident.assignee_id:
        title = FROM_REQUESTER[event.type].format(who=event.actor_name, ref=incident.ref)
        add(incident.assignee, Kind.REQUESTER_REPLIED, title, body)
    title = SUBJECTS[event.type].format(ref=incident.ref)
    asks_requester = (
        event.type == "incident.pended"
        and (event.payload or {}).get("pending_reason") == PendingReason.REQUESTER
    )
    add(
        incident.requester,
        Kind.TICKET_UPDATED,
        f"{incident.ref} is waiting on you: the service desk needs your answer"
        if asks_requester
        else title,
        body
        + (
            "\n\nReply on the ticket page: your answer puts it back in the team's hands."
            if asks_requester
            else ""
        ),
    )
    for watcher in incident.watchers.filter(is_active=True).order_by("pk"):
        add(watcher, Kind.WATCHED_UPDATED, title, body)


def escalation_messages(escalation: Escalation) -> list[Message]:
    """One message to each person an escalation level names (assignee, team lead, service
    owner), in their own time zone."""
    from org.models import User

    incident = escalation.incident
    ids = (escalation.outcome or {}).get("notified") or []
    people = User.objects.filter(pk__in=ids, is_active=True).order_by("pk")
    out = []
    for person in people:
        body = (
            f"Escalation rule '{escalation.rule.name}' reached level {escalation.level}.\n\n"
            + "\n".join(_facts(incident, person))
        )
        out.append(
            Message(
                person,
                Kind.ESCALATION,
                f"Escalated: {incident.ref} {incident.title}",
                body,
                link(incident),
            )
        )
    return out
