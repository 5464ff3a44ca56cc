"""In a real Chromium: a process owner writes an SLA policy and an escalation rule under it
from the SLA pages (each page checked by axe through the ``screenshot`` fixture)."""

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from incidents.models import EscalationRule, SlaPolicy
from org.choices import Role

from ..org.factories import TeamFactory, UserFactory
from .test_triage_and_bell import sign_in

pytestmark = pytest.mark.browser


def test_a_process_owner_writes_a_policy_and_an_escalation_rule(
    live_server: Any, page: Any, in_group: Any, screenshot: Any
) -> None:
    in_group(UserFactory(username="owner"), Role.PROCESS_OWNER)
    TeamFactory(slug="tier2", name="Tier 2")

    sign_in(page, live_server, "owner")
    page.click("nav >> text=SLA")
    expect(page.locator("h1")).to_have_text("SLA policies")
    page.click("text=New SLA policy")
    page.fill("#id_name", "Urgent")
    page.check('label:has-text("P1") input')
    page.fill("#id_response_target", "0:90")
    page.fill("#id_resolution_target", "8:00")
    page.click("button:has-text('Save policy')")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("First response within — Minutes go from 00 to 59.")
    screenshot("1-policy-error")
    page.fill("#id_response_target", "0:30")
    page.click("button:has-text('Save policy')")
    expect(page.locator(".msg-success")).to_contain_text("SLA policy “Urgent” saved")
    expect(page.locator("main table")).to_contain_text("0:30")
    screenshot("2-policies")
    policy = SlaPolicy.objects.get()
    assert (policy.priorities, policy.response_target) == ([1], timedelta(minutes=30))

    page.click("text=escalation rules")
    expect(page.locator("h1")).to_have_text("Escalation rules")
    page.click("text=New escalation rule")
    page.fill("#id_name", "Urgent running late")
    page.check('label:has-text("Share of the resolution target") input')
    page.fill("#id_levels", "75: notify_team_lead\n150: reassign, raise_priority")
    page.select_option("#id_policy", label="Urgent")
    page.click("button:has-text('Save rule')")
    expect(summary).to_contain_text("Level 2: 'reassign' needs the rule's next-tier team.")
    screenshot("3-rule-error")
    page.select_option("#id_next_team", label="Tier 2")
    page.click("button:has-text('Save rule')")
    expect(page.locator(".msg-success")).to_contain_text(
        "Escalation rule “Urgent running late” saved"
    )
    expect(page.locator("main table")).to_contain_text("150: reassign, raise_priority")
    screenshot("4-rules")
    rule = EscalationRule.objects.get()
    assert rule.policy == policy and rule.next_team is not None
