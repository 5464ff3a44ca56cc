"""Row locks shared by the incident services."""

from incidents.models import Incident
from servicedesk import concurrency


def lock_incident(incident: Incident | int) -> Incident:
    """The incident's row, locked until the surrounding transaction ends (PostgreSQL). A
    request that sent ``If-Match`` for it is refused here (412) if the row has moved on."""
    pk = incident.pk if isinstance(incident, Incident) else incident
    locked = Incident.objects.select_for_update(of=("self",)).get(pk=pk)
    concurrency.check_locked(locked)
    return locked
