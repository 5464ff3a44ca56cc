"""/api/v1/sla-policies/, /api/v1/escalation-rules/, /api/v1/calendars/ and the incident's SLA
state: the permission matrix (signed-in people read; administrators and process owners edit),
clear 400s for bad input, exact query counts for the lists."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from incidents.models import EscalationRule, IncidentSla, SlaPolicy
from org.choices import Role
from org.models import BusinessCalendar

from .factories import make_incident
from .test_api import ACTORS, actor, fresh

ROLES = [*ACTORS, "process_owner"]
READ = dict.fromkeys(ROLES, 200) | {"anonymous": 401}
WRITE = dict.fromkeys(ROLES, 403) | {"anonymous": 401, "admin_user": 201, "process_owner": 201}


@pytest.fixture
def process_owner(db: Any, in_group: Any) -> Any:
    from tests.org.factories import UserFactory

    return in_group(UserFactory(username="owner"), Role.PROCESS_OWNER)


def who_(request: Any, who: str) -> Any:
    return actor(request, who)


POLICY = {
    "name": "Critical",
    "priorities": [1],
    "channels": ["phone"],
    "response_target_minutes": 15,
    "resolution_target_minutes": 240,
}
RULE = {
    "name": "Half-way",
    "clock": "resolution",
    "levels": [{"percent": 50, "actions": ["notify_assignee"]}],
}
CALENDAR = {
    "name": "Office",
    "time_zone": "Europe/London",
    "hours": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
    "holidays": [{"date": "2026-12-25", "name": "Christmas"}],
}
ENDPOINTS = {
    "sla-policies": POLICY,
    "escalation-rules": RULE,
    "calendars": CALENDAR,
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("who", ROLES)
def test_permission_matrix(request: Any, api: Any, endpoint: str, who: str) -> None:
    user = who_(request, who)
    client = api(user)
    assert client.get(f"/api/v1/{endpoint}/").status_code == READ[who]
    created = client.post(f"/api/v1/{endpoint}/", ENDPOINTS[endpoint], format="json")
    assert created.status_code == WRITE[who], created.content
    if created.status_code == 201:
        pk = created.json()["id"]
        assert client.get(f"/api/v1/{endpoint}/{pk}/").status_code == 200
        changed = client.patch(f"/api/v1/{endpoint}/{pk}/", {"name": "Renamed"}, format="json")
        assert changed.status_code == 200 and changed.json()["name"] == "Renamed"


def test_a_requester_cannot_change_what_exists(request: Any, api: Any, requester: Any) -> None:
    policy = SlaPolicy.objects.create(name="P", response_target=timedelta(hours=1))
    client = api(requester)
    refused = client.patch(f"/api/v1/sla-policies/{policy.pk}/", {"name": "x"}, format="json")
    assert refused.status_code == 403
    assert client.delete(f"/api/v1/sla-policies/{policy.pk}/").status_code == 403
    assert SlaPolicy.objects.get().name == "P"


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        ("sla-policies", {**POLICY, "priorities": [5]}, "priorities"),
        ("sla-policies", {**POLICY, "channels": ["pigeon"]}, "channels"),
        ("sla-policies", {**POLICY, "response_target_minutes": 0}, "response_target_minutes"),
        ("sla-policies", {**POLICY, "calendar_id": 999999}, "calendar_id"),
        ("sla-policies", {**POLICY, "service_ids": [999999]}, "service_ids"),
        ("sla-policies", {**POLICY, "name": ""}, "name"),
        ("escalation-rules", {**RULE, "levels": []}, "levels"),
        ("escalation-rules", {**RULE, "levels": [{"percent": 50, "actions": ["x"]}]}, "levels"),
        (
            "escalation-rules",
            {**RULE, "levels": [{"percent": 50, "actions": ["reassign"]}]},
            "levels",
        ),
        ("escalation-rules", {**RULE, "levels": [{"percent": "half"}]}, "levels"),
        ("escalation-rules", {**RULE, "clock": "sundial"}, "clock"),
        ("escalation-rules", {**RULE, "next_team_id": 999999}, "next_team_id"),
        ("calendars", {**CALENDAR, "time_zone": "Mars/Olympus"}, "time_zone"),
        (
            "calendars",
            {**CALENDAR, "hours": [{"weekday": 0, "start": "17:00", "end": "09:00"}]},
            "hours",
        ),
        (
            "calendars",
            {
                **CALENDAR,
                "hours": [
                    {"weekday": 0, "start": "09:00", "end": "13:00"},
                    {"weekday": 0, "start": "12:00", "end": "17:00"},
                ],
            },
            "hours",
        ),
        (
            "calendars",
            {**CALENDAR, "hours": [{"weekday": 7, "start": "09:00", "end": "17:00"}]},
            "hours",
        ),
    ],
)
def test_bad_input_is_a_clear_400(
    api: Any, admin_user: Any, endpoint: str, body: dict[str, Any], field: str
) -> None:
    response = api(admin_user).post(f"/api/v1/{endpoint}/", body, format="json")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["message"]
    assert field in payload.get("details", {}), payload


def test_a_duplicate_name_is_a_409(api: Any, admin_user: Any) -> None:
    client = api(admin_user)
    assert client.post("/api/v1/sla-policies/", POLICY, format="json").status_code == 201
    assert client.post("/api/v1/sla-policies/", POLICY, format="json").status_code == 409


def test_a_rule_that_escalated_cannot_be_deleted_only_switched_off(
    api: Any, admin_user: Any
) -> None:
    from incidents.models import Escalation

    client = api(admin_user)
    rule = client.post("/api/v1/escalation-rules/", RULE, format="json").json()
    incident = make_incident(admin_user)
    Escalation.objects.create(
        incident=incident, rule_id=rule["id"], level=1, due_at=timezone.now(), applied_by=admin_user
    )
    assert client.delete(f"/api/v1/escalation-rules/{rule['id']}/").status_code == 409
    off = client.patch(
        f"/api/v1/escalation-rules/{rule['id']}/", {"is_active": False}, format="json"
    )
    assert off.status_code == 200 and off.json()["is_active"] is False


def test_a_new_policy_reaches_open_incidents_through_the_sweep(
    api: Any, admin_user: Any, requester: Any
) -> None:
    from incidents.services.escalation import sla_sweep

    incident = make_incident(requester)
    assert IncidentSla.objects.get(incident=incident).policy is None
    api(admin_user).post(
        "/api/v1/sla-policies/", {**POLICY, "priorities": [], "channels": []}, format="json"
    )
    sla_sweep()
    state = IncidentSla.objects.get(incident=incident)
    assert state.policy_name == "Critical"


@pytest.mark.parametrize("rows", [2, 12])
def test_list_query_counts_are_constant(
    api: Any, requester: Any, team: Any, rows: int, django_assert_num_queries: Any
) -> None:
    from tests.org.factories import BusinessServiceFactory

    service = BusinessServiceFactory(slug="mail", owner_team=team)
    for n in range(rows):
        policy = SlaPolicy.objects.create(name=f"P{n}", position=n)
        policy.services.add(service)
        EscalationRule.objects.create(
            name=f"R{n}", levels=[{"percent": 50, "actions": ["flag_major"]}]
        )
        calendar = BusinessCalendar.objects.create(name=f"C{n}")
        calendar.hours.create(weekday=0)
    client = api(fresh(requester))
    with django_assert_num_queries(4):  # count, page, services, categories
        assert client.get("/api/v1/sla-policies/?page_size=50").json()["count"] == rows
    with django_assert_num_queries(2):  # count, page
        assert client.get("/api/v1/escalation-rules/?page_size=50").json()["count"] == rows
    with django_assert_num_queries(4):  # count, page, hours, holidays
        assert client.get("/api/v1/calendars/?page_size=50").json()["count"] == rows


def test_incidents_expose_their_sla_state_to_analysts_only(
    api: Any, requester: Any, analyst: Any
) -> None:
    SlaPolicy.objects.create(
        name="Std", response_target=timedelta(hours=1), resolution_target=timedelta(hours=8)
    )
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        incident = make_incident(requester)
        body = api(analyst).get(f"/api/v1/incidents/{incident.pk}/").json()
        mine = api(requester).get(f"/api/v1/incidents/{incident.pk}/").json()
    sla = body["sla"]
    assert sla["policy"]["name"] == "Std"
    assert sla["badge"] == "at_risk"  # 1 h to respond: within the at-risk window
    assert sla["resolution_badge"] == "on_track"
    assert sla["response_target_seconds"] == 3600
    assert mine["sla"] is None and mine["due_at"]
