"""E-mail to the people an incident event concerns. Built here, sent by a Celery task."""

from django.conf import settings
from django.core.mail import EmailMessage

from .models import IncidentEvent

SUBJECTS = {
    "incident.commented": "New reply on {ref}",
    "incident.started": "{ref} is being worked on",
    "incident.pended": "{ref} is on hold",
    "incident.resolved": "{ref} is resolved: please confirm and rate",
    "incident.reopened": "{ref} was reopened by the requester",
    "incident.cancelled": "{ref} was cancelled",
    "incident.workaround_published": "A workaround for {ref}",
    "incident.merged": "{ref} was merged into another ticket",
}


def recipients(event: IncidentEvent) -> list[str]:
    """The requester and watchers hear from the desk; the assignee hears from the requester."""
    incident = event.incident
    if event.actor_id in (incident.requester_id, incident.reported_by_id):
        people = [incident.assignee] if incident.assignee else []
    else:
        people = [incident.requester, *incident.watchers.all()]
    return sorted({p.email for p in people if p.email and p.is_active and p.pk != event.actor_id})


def build(event: IncidentEvent) -> EmailMessage | None:
    if event.is_internal or event.type not in SUBJECTS:
        return None
    to = recipients(event)
    if not to:
        return None
    incident = event.incident
    lines = [f"{incident.ref}: {incident.title}", f"Status: {incident.get_status_display()}", ""]
    if event.type == "incident.commented":
        comment = incident.comments.filter(pk=event.payload.get("comment_id")).first()
        if comment:
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
    lines += ["", f"{settings.SITE_URL}/incidents/{incident.pk}/"]
    return EmailMessage(
        subject=SUBJECTS[event.type].format(ref=incident.ref),
        body="\n".join(lines),
        to=to,
    )
