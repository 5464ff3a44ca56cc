"""In a real Chromium: a process owner writes a routing rule, dry-runs it, enables it; a new
incident is then routed by it (the routing task runs as the worker would run it)."""

from typing import Any

import pytest
from playwright.sync_api import expect

from incidents.models import Incident, RoutingRule
from incidents.tasks import incident_route_task
from org.choices import Role

from ..incidents.factories import make_incident
from ..org.factories import TeamFactory, UserFactory
from .test_triage_and_bell import sign_in

pytestmark = pytest.mark.browser


def test_a_process_owner_writes_dry_runs_and_enables_a_rule_that_routes_new_incidents(
    live_server: Any, page: Any, requester: Any, in_group: Any, screenshot: Any
) -> None:
    in_group(UserFactory(username="owner"), Role.PROCESS_OWNER)
    network = TeamFactory(slug="network", name="Network")
    nina = UserFactory(username="nina", display_name="Nina Petrov")
    network.members.add(nina)
    make_incident(requester, title="VPN drops every hour")
    make_incident(requester, title="Printer on floor 2 jams")

    sign_in(page, live_server, "owner")
    page.click("nav >> text=Routing")
    expect(page.locator("h1")).to_have_text("Routing rules")
    page.click("text=New rule")
    page.fill("#id_name", "VPN outages")
    page.fill("#id_text_matches", r"\bvpn\b")
    page.select_option("#id_set_team", label="Network")
    page.select_option("#id_assign", value="round_robin")
    page.click("button:has-text('Dry run (without saving)')")
    dry = page.locator("section[aria-labelledby=dry-run-h]")
    expect(dry).to_contain_text("It would have matched 1 of 2 incidents")
    expect(dry).to_contain_text("route to Network; assign round robin within Network")
    screenshot("1-dry-run")
    assert not RoutingRule.objects.exists()

    page.click("button:has-text('Save rule')")
    expect(page.locator(".msg-success")).to_contain_text("Routing rule “VPN outages” saved")
    expect(page.locator("h1")).to_have_text("Routing rule “VPN outages”")
    expect(page.locator(".page-head .badge")).to_have_text("disabled")
    page.click("button:has-text('Enable rule')")
    expect(page.locator(".page-head .badge")).to_have_text("enabled")
    screenshot("2-enabled")
    assert RoutingRule.objects.get().is_enabled
    page.context.clear_cookies()

    sign_in(page, live_server, "requester")
    page.goto(f"{live_server.url}/incidents/new/")
    page.fill("#id_title", "VPN disconnects when I join a call")
    page.fill("#id_description", "Every call drops the tunnel.")
    page.check('label:has-text("I can\'t work at all") input')
    page.click("button:has-text('Send report')")
    expect(page.locator(".msg-success")).to_contain_text("is logged")
    incident = Incident.objects.get(title="VPN disconnects when I join a call")
    incident_route_task.apply(args=[incident.pk])  # what the worker on "routing" does
    incident.refresh_from_db()
    assert (incident.team, incident.assignee) == (network, nina)
    page.context.clear_cookies()

    sign_in(page, live_server, "nina")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    expect(page.locator("main")).to_contain_text(
        "assigned to Nina Petrov in Network (round robin) by rule 'VPN outages'"
    )
    screenshot("3-routed")
