"""Routing rules on the database: saving (validated), applying a decision (never over a
person's choice, recorded on the timeline), idempotency, away members, dry run."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from incidents import services
from incidents.choices import AssignmentSource
from incidents.models import Category, Incident, IncidentEvent
from incidents.services import routing as svc
from org.choices import Role
from org.services import user_set_away
from servicedesk.errors import PermissionDenied, ValidationFailed
from servicedesk.models import OutboxMessage
from tests.incidents.factories import make_incident
from tests.org.factories import BusinessServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

VPN = {"all": [{"field": "text", "op": "matches", "value": r"\bvpn\b"}]}


@pytest.fixture
def owner(in_group: Any) -> Any:
    return in_group(UserFactory(username="owner"), Role.PROCESS_OWNER)


@pytest.fixture
def network(db: Any) -> Any:
    team = TeamFactory(slug="net", name="Net")
    for name in ("nadia", "nils", "noor"):
        team.members.add(UserFactory(username=name))
    return team


def members(team: Any) -> list[Any]:
    return list(team.members.order_by("pk"))


def vpn_rule(owner: Any, network: Any, **kw: Any) -> Any:
    kw.setdefault("actions", [{"type": "set_team", "team_id": network.pk}])
    return svc.routing_rule_create(
        actor=owner, name=kw.pop("name", "VPN outages"), conditions=VPN, is_enabled=True, **kw
    )


def test_only_process_owners_and_admins_write_rules(
    analyst: Any, manager: Any, owner: Any, admin_user: Any, network: Any
) -> None:
    for person in (analyst, manager):
        with pytest.raises(PermissionDenied):
            vpn_rule(person, network)
    assert vpn_rule(owner, network).position == 10
    second = vpn_rule(admin_user, network, name="Second")
    assert second.position == 20


@pytest.mark.parametrize(
    ("conditions", "actions", "message"),
    [
        ({"all": [{"field": "title", "op": "matches", "value": "(["}]}, None, "not a valid"),
        (VPN, [{"type": "set_team", "team_id": 999999}], "No team with id 999999"),
        ({"all": [{"field": "service", "op": "in", "value": [424242]}]}, None, "No service"),
        (VPN, [{"type": "add_watcher", "user_id": 999999}], "No user"),
    ],
)
def test_a_bad_rule_is_refused_when_saved(
    owner: Any, network: Any, conditions: Any, actions: Any, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        svc.routing_rule_create(
            actor=owner,
            name="Bad",
            conditions=conditions,
            actions=actions or [{"type": "set_team", "team_id": network.pk}],
        )


def test_update_validates_the_whole_rule_again(owner: Any, network: Any) -> None:
    rule = vpn_rule(owner, network)
    with pytest.raises(ValidationFailed, match="not a valid"):
        svc.routing_rule_update(
            rule=rule,
            actor=owner,
            conditions={"all": [{"field": "title", "op": "matches", "value": "a{2,1}"}]},
        )
    updated = svc.routing_rule_update(rule=rule, actor=owner, is_enabled=False, position=5)
    assert (updated.is_enabled, updated.position, updated.conditions) == (False, 5, VPN)


def test_creating_an_incident_records_routing_in_the_outbox(requester: Any) -> None:
    incident = make_incident(requester, title="VPN down")
    keys = list(
        OutboxMessage.objects.filter(task__endswith="incident_route_task").values_list(
            "key", "args"
        )
    )
    assert keys == [(f"incident-route:{incident.pk}:created", [incident.pk])]


def test_a_rule_routes_to_a_team_on_the_timeline_and_twice_changes_nothing(
    requester: Any, owner: Any, network: Any
) -> None:
    vpn_rule(owner, network)
    incident = make_incident(requester, title="VPN drops every hour")
    result = svc.incident_route(incident_id=incident.pk)
    assert result is not None and result.changed == ["team"]
    incident.refresh_from_db()
    assert incident.team == network and incident.assignee is None
    assert incident.assignment_source == AssignmentSource.RULE
    assert incident.routing_rule is not None and incident.routing_rule.name == "VPN outages"
    event = IncidentEvent.objects.get(incident=incident, type="incident.routed")
    assert event.reason == "routed to Net by rule 'VPN outages'"
    assert event.payload["rules"] == [{"id": incident.routing_rule_id, "name": "VPN outages"}]
    assert event.actor.username == "servicedesk-bot"
    again = svc.incident_route(incident_id=incident.pk)
    assert again is not None and again.changed == []
    assert IncidentEvent.objects.filter(type="incident.routed").count() == 1


def test_round_robin_skips_who_is_away_and_least_loaded_counts_open_work(
    requester: Any, owner: Any, network: Any
) -> None:
    nadia, nils, noor = members(network)
    vpn_rule(
        owner,
        network,
        actions=[
            {"type": "set_team", "team_id": network.pk},
            {"type": "assign", "strategy": "round_robin"},
        ],
    )
    user_set_away(user=nils, actor=nils, away=True)
    picked = []
    for n in range(3):
        incident = make_incident(requester, title=f"VPN issue {n}")
        svc.incident_route(incident_id=incident.pk)
        incident.refresh_from_db()
        picked.append(incident.assignee)
        assert incident.status == "assigned"
        assert incident.assignment_source == AssignmentSource.ROUND_ROBIN
    assert picked == [nadia, noor, nadia]
    event = IncidentEvent.objects.filter(type="incident.routed").last()
    assert event is not None
    assert event.reason == "assigned to Nadia in Net (round robin) by rule 'VPN outages'"

    svc.routing_rule_update(
        rule=Incident.objects.last().routing_rule,  # type: ignore[union-attr]
        actor=owner,
        actions=[{"type": "assign", "strategy": "least_loaded", "team_id": network.pk}],
    )
    user_set_away(user=nils, actor=nils, away=False)
    incident = make_incident(requester, title="VPN again")
    svc.incident_route(incident_id=incident.pk)
    incident.refresh_from_db()
    assert incident.assignee == nils  # nadia has 2 open, noor 1, nils 0


def test_nobody_present_leaves_it_in_the_team_queue(
    requester: Any, owner: Any, network: Any
) -> None:
    for person in members(network):
        user_set_away(user=person, actor=person, away=True)
    vpn_rule(
        owner,
        network,
        actions=[{"type": "assign", "strategy": "round_robin", "team_id": network.pk}],
    )
    incident = make_incident(requester, title="VPN")
    result = svc.incident_route(incident_id=incident.pk)
    assert result is not None and "nobody in Net is present" in result.skipped
    incident.refresh_from_db()
    assert incident.team == network and incident.assignee is None and incident.status == "new"


def test_away_until_passes_by_itself(requester: Any, network: Any) -> None:
    nadia = members(network)[0]
    back = timezone.now() + timedelta(hours=1)
    user_set_away(user=nadia, actor=nadia, away=True, until=back)
    nadia.refresh_from_db()
    assert not nadia.is_present(timezone.now())
    assert nadia.is_present(back + timedelta(seconds=1))
    with pytest.raises(PermissionDenied):
        user_set_away(user=nadia, actor=requester, away=False)


def test_a_manual_assignment_is_never_overridden(
    requester: Any, analyst: Any, team: Any, owner: Any, network: Any
) -> None:
    vpn_rule(owner, network)
    incident = make_incident(requester, title="VPN down")
    services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
    result = svc.incident_route(incident_id=incident.pk)
    assert result is not None and result.changed == []
    assert "team and assignee were chosen by a person" in result.skipped
    incident.refresh_from_db()
    assert (incident.team, incident.assignee) == (team, analyst)
    assert incident.assignment_source == AssignmentSource.MANUAL
    # A team an analyst chose when logging counts as a person's choice too.
    logged = services.incident_create(actor=analyst, requester=requester, title="VPN", team=team)
    svc.incident_route(incident_id=logged.pk)
    logged.refresh_from_db()
    assert logged.team == team


def test_a_rule_overrides_the_service_default_team(
    requester: Any, team: Any, owner: Any, network: Any
) -> None:
    service = BusinessServiceFactory(owner_team=team)
    vpn_rule(owner, network)
    incident = make_incident(requester, title="VPN", service=service)
    assert incident.assignment_source == AssignmentSource.SERVICE and incident.team == team
    svc.incident_route(incident_id=incident.pk)
    incident.refresh_from_db()
    assert incident.team == network


def test_category_watchers_and_notices(requester: Any, owner: Any, network: Any) -> None:
    category = Category.objects.create(name="Tunnels", slug="tunnels")
    watcher = UserFactory(username="watcher")
    svc.routing_rule_create(
        actor=owner,
        name="Everything",
        conditions={},
        is_enabled=True,
        actions=[
            {"type": "set_category", "category_id": category.pk},
            {"type": "add_watcher", "user_id": watcher.pk},
            {"type": "notify", "team_id": network.pk},
        ],
    )
    incident = make_incident(requester, title="Anything")
    svc.incident_route(incident_id=incident.pk)
    incident.refresh_from_db()
    assert incident.category == category
    assert list(incident.watchers.all()) == [watcher]
    event = IncidentEvent.objects.get(type="incident.routed")
    assert event.payload["notify_team_ids"] == [network.pk]
    from incidents.notifications import messages_for

    told = {m.recipient.username for m in messages_for(event)}
    assert told == {"nadia", "nils", "noor"}


def test_watched_field_changes_schedule_routing_again(
    requester: Any, analyst: Any, owner: Any, network: Any
) -> None:
    incident = make_incident(requester, title="Printer")
    services.incident_edit(incident=incident, actor=analyst, title="VPN broken")
    services.incident_triage(incident=incident, actor=analyst, urgency=1)
    keys = OutboxMessage.objects.filter(task__endswith="incident_route_task").count()
    assert keys == 3
    vpn_rule(owner, network)
    svc.incident_route(incident_id=incident.pk)
    incident.refresh_from_db()
    assert incident.team == network


def test_closed_or_missing_incidents_are_left_alone(
    requester: Any, owner: Any, network: Any
) -> None:
    vpn_rule(owner, network)
    incident = make_incident(requester, title="VPN")
    services.incident_cancel(incident=incident, actor=requester, reason="fixed itself")
    result = svc.incident_route(incident_id=incident.pk)
    assert result is not None and result.changed == []
    assert svc.incident_route(incident_id=10**9) is None


def test_dry_run_shows_matches_of_the_last_30_days_without_changing_anything(
    requester: Any, owner: Any, network: Any, analyst: Any
) -> None:
    hit = make_incident(requester, title="VPN slow")
    make_incident(requester, title="Printer jam")
    old = make_incident(requester, title="VPN ancient")
    Incident.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    rule = svc.routing_rule_create(
        actor=owner,
        name="VPN",
        conditions=VPN,
        actions=[
            {"type": "set_team", "team_id": network.pk},
            {"type": "assign", "strategy": "least_loaded"},
        ],
    )
    rows, looked_at = svc.routing_dry_run(actor=owner, rule=rule)
    assert looked_at == 2
    assert [r.incident.pk for r in rows] == [hit.pk]
    assert rows[0].would == ["route to Net", "assign least loaded within Net"]
    assert rows[0].reasons == [r"title or description matches '\bvpn\b'"]
    assert not IncidentEvent.objects.filter(type="incident.routed").exists()
    with pytest.raises(PermissionDenied):
        svc.routing_dry_run(actor=analyst, rule=rule)
    body = svc.clean_rule(
        name="Printers",
        conditions={"all": [{"field": "title", "op": "contains", "value": "printer"}]},
        actions=[{"type": "set_team", "team_id": network.pk}],
    )
    rows, _ = svc.routing_dry_run(actor=owner, body=body)
    assert [r.incident.title for r in rows] == ["Printer jam"]


def test_marking_away_through_the_api(
    api: Any, network: Any, requester: Any, admin_user: Any
) -> None:
    nadia = members(network)[0]
    own = api(nadia).post(f"/api/v1/users/{nadia.pk}/away/", {"away": True}, format="json")
    assert own.status_code == 200 and own.json()["is_away"] is True
    refused = api(requester).post(f"/api/v1/users/{nadia.pk}/away/", {"away": False}, format="json")
    assert refused.status_code in (403, 404)
    past = api(admin_user).post(
        f"/api/v1/users/{nadia.pk}/away/",
        {"away": True, "until": "2001-01-01T00:00:00Z"},
        format="json",
    )
    assert past.status_code == 400
    back = api(admin_user).post(f"/api/v1/users/{nadia.pk}/away/", {"away": False}, format="json")
    assert back.status_code == 200 and back.json() == {
        "id": nadia.pk,
        "is_away": False,
        "away_until": None,
    }


def test_a_notify_only_rule_notifies_once(requester: Any, owner: Any, network: Any) -> None:
    svc.routing_rule_create(
        actor=owner,
        name="Tell the network team",
        conditions=VPN,
        is_enabled=True,
        actions=[{"type": "notify", "team_id": network.pk}],
    )
    incident = make_incident(requester, title="VPN down")
    first = svc.incident_route(incident_id=incident.pk)
    assert first is not None and first.changed == ["notice"]
    again = svc.incident_route(incident_id=incident.pk)
    assert again is not None and again.changed == []
    event = IncidentEvent.objects.get(type="incident.routed")
    assert event.payload["notify_team_ids"] == [network.pk]
    assert event.reason == "notified by rule 'Tell the network team'"
