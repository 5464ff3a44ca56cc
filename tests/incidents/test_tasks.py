from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from incidents.models import IncidentEvent
from incidents.tasks import incident_autoclose_task
from org.services import SYSTEM_USERNAME

from .factories import incident_in


def test_resolved_incidents_close_automatically_after_the_period(
    requester: Any, analyst: Any, team: Any, settings: Any
) -> None:
    old = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    days = settings.INCIDENT_AUTO_CLOSE_DAYS
    with time_machine.travel(timezone.now() + timedelta(days=days - 1), tick=False):
        fresh = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    with time_machine.travel(timezone.now() + timedelta(days=days, minutes=1), tick=False):
        assert incident_autoclose_task.apply().get() == 1
        assert incident_autoclose_task.apply().get() == 0  # idempotent
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("closed", "resolved")
    event = IncidentEvent.objects.get(incident=old, type="incident.closed")
    assert event.actor.username == SYSTEM_USERNAME and event.payload == {"automatic": True}
