"""In a real Chromium: the analyst sees the SLA badge on the ticket, puts the ticket on hold
waiting on a vendor, and the badge changes to paused (with why)."""

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.models import IncidentSla, SlaPolicy

from ..incidents.factories import incident_in

pytestmark = pytest.mark.browser


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def test_the_sla_badge_turns_paused_when_the_incident_is_pending(
    live_server: Any, page: Any, requester: Any, analyst: Any, team: Any, screenshot: Any
) -> None:
    SlaPolicy.objects.create(
        name="Standard desk SLA",
        response_target=timedelta(hours=8),
        resolution_target=timedelta(days=3),
    )
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    services.incident_comment(incident=incident, actor=analyst, body="Looking into it.")
    sign_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    badge = page.locator("#sla-badge .badge")
    expect(badge).to_have_text("On track")
    expect(page.locator(".facts")).to_contain_text("Standard desk SLA")
    screenshot("1-sla-on-track")

    page.click("summary:has-text('hold')")
    page.select_option("#id_pend-reason", "vendor")
    page.fill("#id_pend-note", "RMA opened with the vendor.")
    page.click("form[action$='/pend/'] button[type=submit]")
    expect(page.locator(".msg-success")).to_be_visible()
    expect(badge).to_have_text("Paused")
    expect(page.locator("#sla-badge")).to_contain_text("waiting on vendor")
    screenshot("2-sla-paused")
    state = IncidentSla.objects.get(incident=incident)
    assert state.paused_since is not None and state.pause_reason == "vendor"
