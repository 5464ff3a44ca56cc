"""The assignment rules are a value gate (``incident.routing.assignment_rules``): an active
OVERRIDE bypass sets the effective team; the incident keeps the rules' team beside it with the
source (``rules`` or ``BYP-…``), on the timeline, the bypass ledger and the ticket page."""

from typing import Any

import pytest

from bypass import counters
from bypass import services as bypass_services
from bypass.choices import State
from bypass.models import BypassUse
from incidents.models import IncidentEvent
from incidents.services import routing as svc
from org.choices import Role
from tests.incidents.factories import make_incident
from tests.org.factories import TeamFactory, UserFactory

from .conftest import file

pytestmark = pytest.mark.django_db

GATE = "incident.routing.assignment_rules"
VPN = {"all": [{"field": "text", "op": "matches", "value": r"\bvpn\b"}]}


@pytest.fixture
def rule_owner(in_group: Any) -> Any:
    return in_group(UserFactory(username="ruleowner"), Role.PROCESS_OWNER)


@pytest.fixture
def network(db: Any) -> Any:
    return TeamFactory(slug="net", name="Net")


@pytest.fixture
def vpn_incident(requester: Any, rule_owner: Any, network: Any) -> Any:
    svc.routing_rule_create(
        actor=rule_owner,
        name="VPN outages",
        conditions=VPN,
        is_enabled=True,
        actions=[{"type": "set_team", "team_id": network.pk}],
    )
    return make_incident(requester, title="VPN drops every hour")


def override(analyst: Any, incident: Any, team: Any, owners: list[Any]) -> Any:
    req = file(analyst, incident, items=[{"gate": GATE, "treatment": "override", "value": team.pk}])
    return bypass_services.bypass_approve(request=req, actor=owners[0])


def test_rules_routing_records_its_source_and_counts_the_gate(vpn_incident, network, counted):
    before = counters.counts(GATE)
    with counted():
        svc.incident_route(incident_id=vpn_incident.pk)
        vpn_incident.refresh_from_db()
        assert (vpn_incident.team, vpn_incident.rules_team, vpn_incident.team_source) == (
            network,
            network,
            "rules",
        )
    after = counters.counts(GATE)
    assert after["evaluations"] == before["evaluations"] + 1
    assert after["bypassed"] == before["bypassed"]


def test_override_at_activation_keeps_both_teams_and_survives_routing(
    vpn_incident, network, team, analyst, owners, client
):
    svc.incident_route(incident_id=vpn_incident.pk)
    req = override(analyst, vpn_incident, team, owners)
    assert req.state == State.CONSUMED  # applied at once by the incident's value gate
    vpn_incident.refresh_from_db()
    assert (vpn_incident.team, vpn_incident.rules_team, vpn_incident.team_source) == (
        team,
        network,
        req.ref,
    )
    use = BypassUse.objects.get(request=req)
    assert (use.gate_id, use.computed, use.effective) == (GATE, network.pk, team.pk)
    event = IncidentEvent.objects.get(incident=vpn_incident, type="incident.assignment_overridden")
    assert event.reason == (
        f"{req.ref} overrode the assignment rules: Desk instead of Net (receipt #{use.ledger_seq})."
    )
    assert event.payload == {
        "rules_team_id": network.pk,
        "team_id": [network.pk, team.pk],
        "source": req.ref,
        "receipt": use.ledger_seq,
    }
    # The rules still compute Net: routing again keeps the override.
    again = svc.incident_route(incident_id=vpn_incident.pk)
    assert again is not None and again.changed == []
    vpn_incident.refresh_from_db()
    assert (vpn_incident.team, vpn_incident.team_source) == (team, req.ref)

    client.force_login(analyst)
    html = client.get(f"/incidents/{vpn_incident.pk}/").content.decode()
    assert (
        f'<strong>Desk</strong>, set by bypass <strong class="mono">{req.ref}</strong>; '
        "the routing rules say <strong>Net</strong>"
    ) in html


def test_active_override_is_used_when_the_rules_route(
    vpn_incident, network, team, analyst, owners, monkeypatch
):
    import incidents.services as incident_services

    # Without the activation hook, the bypass waits, active, for the routing to use it.
    monkeypatch.setattr(incident_services, "incident_apply_value_gates", lambda **kw: None)
    req = override(analyst, vpn_incident, team, owners)
    assert req.state == State.ACTIVE
    result = svc.incident_route(incident_id=vpn_incident.pk)
    assert result is not None and "team" in result.changed
    vpn_incident.refresh_from_db()
    assert (vpn_incident.team, vpn_incident.rules_team, vpn_incident.team_source) == (
        team,
        network,
        req.ref,
    )
    use = BypassUse.objects.get(request=req)
    event = IncidentEvent.objects.get(incident=vpn_incident, type="incident.routed")
    assert event.reason == (
        f"routed to Desk by rule 'VPN outages'; {req.ref} overrode the rules' team Net "
        f"(receipt #{use.ledger_seq})"
    )
    assert event.payload["rules_team_id"] == network.pk
    assert event.payload["team_source"] == req.ref
