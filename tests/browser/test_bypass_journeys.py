"""Bypass journeys in a real Chromium: an analyst's high-risk change is held at its change
authority; they request a bypass substituting a single authority; a manager approves it in the
inbox; the change proceeds and its timeline shows the receipt. And an incident's priority
overridden through a bypass, with both priorities shown."""

import importlib
from typing import Any

import pytest
from django.apps import apps
from playwright.sync_api import expect

from bypass.models import BypassRequest
from changes import services as change_services
from changes.models import Change
from org.choices import Role

from ..changes.factories import HIGH_RISK, authority, make_change
from ..incidents.factories import make_incident
from ..org.factories import BusinessServiceFactory, TeamFactory, UserFactory
from .test_change_journeys import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def policies(db: Any) -> None:
    importlib.import_module("bypass.migrations.0002_append_only_and_policies").seed(apps, None)


def test_high_risk_change_proceeds_through_a_substitute_authority_bypass(
    live_server: Any, page: Any, analyst: Any, in_group: Any, policies: None, screenshot: Any
) -> None:
    platform = TeamFactory(slug="platform", name="Platform")
    payroll = BusinessServiceFactory(slug="payroll", name="Payroll", owner_team=platform, tier=1)
    cab = [
        in_group(UserFactory(username=n, display_name=n.title()), Role.CHANGE_AUTHORITY)
        for n in ("alice", "bob", "carol")
    ]
    for slug in ("peer-review", "service-owner", "cab", "ecab"):
        authority(slug).members.set(cab)
    in_group(UserFactory(username="mona", display_name="Mona Manager"), Role.MANAGER)
    change = make_change(analyst, risk=HIGH_RISK, services=[payroll])
    change = change_services.change_submit(change=change, actor=analyst)

    sign_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/changes/{change.pk}/")
    card = page.locator("section", has_text="Waiting at a gate")
    expect(card).to_contain_text("change.normal.cab_authorization")
    expect(card).to_contain_text("still awaits the decision of CAB")
    screenshot("1-change-held-at-its-authority")
    card.locator("text=Request a bypass").click()
    expect(page.locator("h1")).to_have_text("Request a bypass")
    expect(page.locator("#id_gate")).to_have_value("change.normal.cab_authorization")
    page.select_option("#id_treatment", "substitute")
    page.fill("#id_value", "A single change authority (a manager outside the team)")
    page.select_option("#id_reason_category", "business_deadline")
    page.fill("#id_justification", "The payroll run on Friday needs this fix; CAB meets Tuesday.")
    page.fill("#id_what_does_not_fit", "CAB's weekly rhythm does not fit a fix needed in 2 days.")
    page.fill("#id_cost_of_not_bypassing", "Payroll runs with a known defect.")
    screenshot("2-request-form-prefilled")
    page.click("button:has-text('Submit for approval')")
    req = BypassRequest.objects.get()
    expect(page.locator("h1")).to_contain_text(req.ref)
    expect(page.locator(".page-head")).to_contain_text("In review")
    screenshot("3-request-in-review")

    sign_in(page, live_server, "mona")
    page.goto(f"{live_server.url}/bypass/inbox/")
    item = page.locator(".inbox-item", has_text=req.ref)
    expect(item).to_contain_text("Change authority")
    expect(item).to_contain_text("still awaits the decision of CAB")
    expect(item).to_contain_text("bypass of this gate")
    item.locator("textarea").fill("A single authority is enough for this fix.")
    screenshot("4-manager-inbox")
    item.locator("button:has-text('Approve')").click()
    expect(page.locator(".msg-success")).to_contain_text(f"{req.ref} is now active")

    sign_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/changes/{change.pk}/")
    page.click("button:has-text('Proceed with an approved bypass')")
    expect(page.locator(".msg-success")).to_contain_text("authorised through an approved bypass")
    expect(page.locator("#change-status")).to_have_text("Authorised")
    use = req.uses.get()
    expect(page.locator(".timeline")).to_contain_text(f"Receipt #{use.ledger_seq}")
    screenshot("5-change-authorised-with-receipt")
    assert Change.objects.get(pk=change.pk).status == "authorised"


def test_incident_priority_overridden_through_a_bypass(
    live_server: Any,
    page: Any,
    analyst: Any,
    requester: Any,
    in_group: Any,
    policies: None,
    screenshot: Any,
) -> None:
    in_group(UserFactory(username="olga", display_name="Olga Owner"), Role.PROCESS_OWNER)
    incident = make_incident(requester, title="Trading floor printers down")
    sign_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    page.click("text=Request a priority override")
    expect(page.locator("#id_gate")).to_have_value("incident.triage.priority_matrix")
    page.select_option("#id_treatment", "override")
    page.fill("#id_value", "1")
    page.select_option("#id_reason_category", "service_restoration")
    page.fill("#id_justification", "The whole trading floor cannot print trade confirmations.")
    page.fill("#id_what_does_not_fit", "One reporter makes the matrix see a single user.")
    page.click("button:has-text('Submit for approval')")
    req = BypassRequest.objects.get()
    expect(page.locator(".page-head")).to_contain_text("In review")

    sign_in(page, live_server, "olga")
    page.goto(f"{live_server.url}/bypass/inbox/")
    item = page.locator(".inbox-item", has_text=req.ref)
    expect(item).to_contain_text("Override a computed value")
    screenshot("1-priority-override-in-inbox")
    item.locator("button:has-text('Approve')").click()

    sign_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    expect(page.locator(".priority-source")).to_contain_text(req.ref)
    expect(page.locator(".priority-source")).to_contain_text("the matrix says P3")
    expect(page.locator(".subline").first).to_contain_text("P1")
    screenshot("2-incident-both-priorities")
