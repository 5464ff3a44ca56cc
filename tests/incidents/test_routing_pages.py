"""Routing-rule pages: process owners write, dry-run, enable; others are refused."""

from typing import Any

import pytest
from django.test import Client

from incidents.models import RoutingRule
from org.choices import Role
from tests.incidents.factories import make_incident
from tests.org.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(in_group: Any) -> Any:
    return in_group(UserFactory(username="owner"), Role.PROCESS_OWNER)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_process_owners_and_admins_see_the_pages(
    analyst: Any, manager: Any, owner: Any, admin_user: Any
) -> None:
    for person in (analyst, manager):
        assert client_for(person).get("/routing-rules/").status_code == 403
        assert client_for(person).get("/routing-rules/new/").status_code == 403
    for person in (owner, admin_user):
        page = client_for(person).get("/routing-rules/")
        assert page.status_code == 200 and b"Routing rules" in page.content
    assert Client().get("/routing-rules/").status_code == 302  # to sign in


def test_write_dry_run_and_enable_a_rule(owner: Any, requester: Any) -> None:
    network = TeamFactory(slug="net", name="Network")
    make_incident(requester, title="VPN is down again")
    make_incident(requester, title="Printer")
    client = client_for(owner)
    form = {
        "name": "VPN outages",
        "match": "all",
        "text_matches": r"\bvpn\b",
        "set_team": network.pk,
        "assign": "round_robin",
        "stop_on_match": "on",
    }
    tried = client.post("/routing-rules/new/", {**form, "dry_run": "1"})
    assert tried.status_code == 200
    assert b"It would have matched <strong>1</strong> of 2 incidents" in tried.content
    assert b"route to Network; assign round robin within Network" in tried.content
    assert not RoutingRule.objects.exists()
    saved = client.post("/routing-rules/new/", form)
    assert saved.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.conditions == {"all": [{"field": "text", "op": "matches", "value": r"\bvpn\b"}]}
    assert rule.actions == [
        {"type": "set_team", "team_id": network.pk},
        {"type": "assign", "strategy": "round_robin"},
    ]
    assert not rule.is_enabled
    page = client.get(f"/routing-rules/{rule.pk}/")
    assert page.status_code == 200 and b'value="\\bvpn\\b"' in page.content
    dry = client.get(f"/routing-rules/{rule.pk}/?dry_run=1")
    assert b"It would have matched <strong>1</strong>" in dry.content
    client.post(f"/routing-rules/{rule.pk}/", {"toggle": "1"})
    rule.refresh_from_db()
    assert rule.is_enabled
    client.post(f"/routing-rules/{rule.pk}/", {"delete": "1"})
    assert not RoutingRule.objects.exists()


def test_a_bad_pattern_is_shown_on_the_form(owner: Any) -> None:
    network = TeamFactory(slug="net", name="Network")
    response = client_for(owner).post(
        "/routing-rules/new/",
        {"name": "Bad", "match": "all", "text_matches": "vpn([", "set_team": network.pk},
    )
    assert response.status_code == 400
    assert b"is not a valid pattern" in response.content
    bad_json = client_for(owner).post(
        "/routing-rules/new/",
        {"name": "Bad", "match": "all", "conditions_json": "{nope", "set_team": network.pk},
    )
    assert bad_json.status_code == 400 and b"not valid JSON" in bad_json.content
    assert not RoutingRule.objects.exists()


def test_advanced_conditions_round_trip_through_the_json_box(owner: Any) -> None:
    network = TeamFactory(slug="net", name="Network")
    conditions = '{"any": [{"field": "priority", "op": "lte", "value": 2}]}'
    client = client_for(owner)
    client.post(
        "/routing-rules/new/",
        {"name": "Urgent", "match": "all", "conditions_json": conditions, "set_team": network.pk},
    )
    rule = RoutingRule.objects.get()
    assert rule.conditions == {"any": [{"field": "priority", "op": "lte", "value": 2}]}
    page = client.get(f"/routing-rules/{rule.pk}/")
    assert b"&quot;lte&quot;" in page.content


def test_the_admin_validates_and_saves_through_the_service(admin_user: Any) -> None:
    network = TeamFactory(slug="net", name="Network")
    client = client_for(admin_user)
    form = {
        "name": "From admin",
        "description": "",
        "position": "5",
        "stop_on_match": "on",
        "conditions": '{"all": [{"field": "title", "op": "matches", "value": "(["}]}',
        "actions": f'[{{"type": "set_team", "team_id": {network.pk}}}]',
    }
    bad = client.post("/admin/incidents/routingrule/add/", form)
    assert bad.status_code == 200 and b"is not a valid pattern" in bad.content
    form["conditions"] = '{"all": [{"field": "title", "op": "contains", "value": "vpn"}]}'
    good = client.post("/admin/incidents/routingrule/add/", form)
    assert good.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.created_by == admin_user and rule.position == 5
    assert client.get("/admin/incidents/routingrule/").status_code == 200


@pytest.mark.parametrize("rows", [2, 12])
def test_list_page_query_count_is_constant(
    owner: Any, rows: int, django_assert_num_queries: Any
) -> None:
    from incidents.services import routing as svc

    network = TeamFactory(slug="net", name="Network")
    for n in range(rows):
        svc.routing_rule_create(
            actor=owner,
            name=f"Rule {n}",
            conditions={},
            actions=[{"type": "set_team", "team_id": network.pk}],
        )
    client = client_for(owner)
    client.get("/routing-rules/")
    # session, user, roles (3), unread notifications, the rules (author joined)
    with django_assert_num_queries(7):
        assert client.get("/routing-rules/").status_code == 200
