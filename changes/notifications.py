"""E-mail to the people a change event concerns. Built here, sent by a Celery task."""

from django.conf import settings
from django.core.mail import EmailMessage

from .models import ChangeAuthority, ChangeEvent

SUBJECTS = {
    "change.assessed": "{ref} awaits your authorisation",
    "change.stage_approved": "{ref} awaits your authorisation",
    "change.authorised": "{ref} is authorised: schedule it",
    "change.rejected": "{ref} was rejected",
    "change.scheduled": "{ref} is scheduled",
    "change.completed": "{ref} did not succeed: a review is needed",
    "change.cancelled": "{ref} was cancelled",
    "change.documentation_overdue": "{ref}: emergency change documentation is overdue",
}
TO_APPROVERS = {"change.assessed", "change.stage_approved"}


def recipients(event: ChangeEvent) -> list[str]:
    change = event.change
    if event.type in TO_APPROVERS and change.current_authority_id:
        authority = ChangeAuthority.objects.get(pk=change.current_authority_id)
        people = [
            u
            for u in authority.members.all()
            if u.pk not in (change.requester_id, change.implementer_id)
        ]
    else:
        people = [change.requester]
        if change.implementer is not None:
            people.append(change.implementer)
    return sorted({p.email for p in people if p.email and p.is_active and p.pk != event.actor_id})


def build(event: ChangeEvent) -> EmailMessage | None:
    if event.type not in SUBJECTS:
        return None
    to = recipients(event)
    if not to:
        return None
    change = event.change
    lines = [f"{change.ref}: {change.title}", f"Status: {change.get_status_display()}", ""]
    if event.reason:
        lines += [event.reason, ""]
    lines += [f"{settings.SITE_URL}/changes/{change.pk}/"]
    return EmailMessage(
        subject=SUBJECTS[event.type].format(ref=change.ref), body="\n".join(lines), to=to
    )
