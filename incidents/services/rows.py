"""Row locks shared by the incident services."""

from incidents.models import Incident


def lock_incident(incident: Incident | int) -> Incident:
    """The incident's row, locked until the surrounding transaction ends (PostgreSQL)."""
    pk = incident.pk if isinstance(incident, Incident) else incident
    return Incident.objects.select_for_update(of=("self",)).get(pk=pk)
