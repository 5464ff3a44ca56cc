"""Incidents caused by (or related to) a change. ``changes`` uses the incidents app's selectors
and event writer; ``incidents`` never imports ``changes``."""

from collections.abc import Iterable

from django.db import transaction

from changes.choices import ChangeStatus, IncidentRelation
from changes.models import Change, ChangeIncidentLink
from incidents import access as incident_access
from incidents import selectors as incident_selectors
from incidents.models import Incident
from incidents.services.events import incident_event
from org.models import User
from servicedesk import clock
from servicedesk.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed

from .events import change_event
from .rows import lock_change

MAX_LINKS = 100


def change_link_incidents(
    *,
    change: Change | int,
    actor: User,
    incident_ids: Iterable[int],
    relation: str = IncidentRelation.CAUSED_BY,
) -> list[Incident]:
    """Link incidents to a change; already-linked ones are skipped. Returns the new links."""
    ids = sorted({int(i) for i in incident_ids})
    if not ids:
        raise ValidationFailed("Select at least one incident.")
    if len(ids) > MAX_LINKS:
        raise ValidationFailed(f"Link at most {MAX_LINKS} incidents at once.")
    if relation not in IncidentRelation.values:
        raise ValidationFailed(f"Unknown relation {relation!r}.")
    with transaction.atomic():
        locked = lock_change(change)
        if not incident_access.is_agent(actor):
            raise PermissionDenied(
                "Only analysts and managers (who see incidents) link incidents to changes.",
                code="change.permission.link",
            )
        if locked.status in (ChangeStatus.DRAFT, ChangeStatus.CANCELLED, ChangeStatus.REJECTED):
            raise TransitionNotAllowed(
                f"{locked.ref} is {locked.get_status_display().lower()}; it never reached "
                "production, so it cannot have caused an incident."
            )
        visible = list(
            incident_selectors.incident_list(user=actor).filter(pk__in=ids).order_by("pk")
        )
        missing = sorted(set(ids) - {i.pk for i in visible})
        if missing:
            raise ValidationFailed(
                "No such incidents: " + ", ".join(f"INC-{pk:06d}" for pk in missing) + "."
            )
        already = set(locked.incident_links.values_list("incident_id", flat=True))
        now = clock.now()
        linked = []
        for incident in visible:
            if incident.pk in already:
                continue
            ChangeIncidentLink.objects.create(
                change=locked, incident=incident, relation=relation, linked_by=actor, created_at=now
            )
            incident_event(
                incident,
                "incident.change_linked",
                actor=actor,
                internal=True,
                payload={"change_id": locked.pk, "change": locked.ref, "relation": relation},
            )
            linked.append(incident)
        if linked:
            change_event(
                locked,
                "change.incidents_linked",
                actor=actor,
                payload={"incident_ids": [i.pk for i in linked], "relation": relation},
            )
        return linked
