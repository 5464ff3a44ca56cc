"""What analysts and requesters read about SLA clocks on pages: the badge and business time
left on the ticket and in the queue, "Breaching soon" sorted by business time left, and the
requester's expected resolution in their own time zone."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from incidents import services
from incidents.models import SlaPolicy
from org.models import BusinessCalendar, WorkingHours

from .factories import make_incident

LONDON = ZoneInfo("Europe/London")
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)


@pytest.fixture
def office(db: Any) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name="Office", time_zone="Europe/London")
    for weekday in range(5):
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, start=time(9, 0), end=time(17, 0)
        )
    return calendar


def test_ticket_page_shows_badge_policy_and_business_time_left(
    client: Client, office: BusinessCalendar, requester: Any, analyst: Any, team: Any
) -> None:
    SlaPolicy.objects.create(
        name="Office hours",
        response_target=timedelta(hours=2),
        resolution_target=timedelta(hours=16),
        calendar=office,
    )
    with time_machine.travel(MONDAY_9, tick=False):
        incident = make_incident(requester)
    client.force_login(analyst)
    with time_machine.travel(MONDAY_9 + timedelta(hours=10), tick=False):  # 19:00: 8 h spent
        html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Office hours" in html
    assert "sla-breached" in html  # nobody answered within 2 business hours
    assert "8 h left" in html  # 16 h to resolve, 8 business hours spent


def test_the_badge_reads_paused_while_pending(
    client: Client, requester: Any, analyst: Any, team: Any
) -> None:
    SlaPolicy.objects.create(
        name="Std", response_target=timedelta(hours=8), resolution_target=timedelta(days=3)
    )
    incident = make_incident(requester)
    services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
    services.incident_start(incident=incident, actor=analyst)
    client.force_login(analyst)
    assert "sla-on_track" in client.get(f"/incidents/{incident.pk}/").content.decode()
    services.incident_pend(incident=incident, actor=analyst, reason="vendor", note="RMA")
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "sla-paused" in html and "waiting on vendor" in html
    assert "sla-paused" in client.get("/queue/team/").content.decode()


def test_breaching_soon_sorts_by_business_time_left(
    client: Client, office: BusinessCalendar, requester: Any, analyst: Any, team: Any
) -> None:
    """Friday 18:00: an office-hours ticket due Monday 10:00 has 1 business hour left; a 24x7
    one due at 22:00 has 4 — the office one comes first though it is due days later."""
    office_policy = SlaPolicy.objects.create(
        name="Office",
        position=1,
        channels=["phone"],
        response_target=timedelta(hours=10),
        resolution_target=timedelta(hours=9),
        calendar=office,
    )
    SlaPolicy.objects.create(
        name="Always",
        position=2,
        response_target=timedelta(hours=30),
        resolution_target=timedelta(hours=5),
    )
    friday_5pm_minus_8 = datetime(2026, 12, 4, 9, 0, tzinfo=LONDON)
    with time_machine.travel(friday_5pm_minus_8, tick=False):
        office_one = make_incident(
            requester, actor=analyst, team=team, channel="phone", title="Office"
        )
    with time_machine.travel(datetime(2026, 12, 4, 17, 0, tzinfo=LONDON), tick=False):
        always_one = make_incident(requester, actor=analyst, team=team, title="Always")
    assert office_one.sla.policy == office_policy
    client.force_login(analyst)
    with time_machine.travel(datetime(2026, 12, 4, 18, 0, tzinfo=LONDON), tick=False):
        html = client.get("/queue/breaching/").content.decode()
    assert html.index(f"/incidents/{office_one.pk}/") < html.index(f"/incidents/{always_one.pk}/")
    assert "1 h business time left" in html


def test_requesters_read_the_expected_fix_in_their_time_zone(
    client: Client, requester: Any
) -> None:
    requester.time_zone = "America/New_York"
    requester.save()
    with time_machine.travel(MONDAY_9, tick=False):
        incident = make_incident(requester)
        client.force_login(requester)
        html = client.get(f"/incidents/{incident.pk}/").content.decode()
    local = incident.due_at.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%a %d %b, %H:%M} (America/New_York)" in html
    assert "sla-" not in html  # the SLA internals are for analysts
