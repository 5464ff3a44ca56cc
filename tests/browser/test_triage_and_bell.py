"""In a real Chromium, at desktop and phone width: a ticket reported with service "I don't
know" lands in the triage tab (with its count), the queue refreshes itself until a row is
ticked, select-all ticks the page, and the requester's bell shows the receipt."""

from typing import Any

import pytest
from playwright.sync_api import expect

from incidents.models import Incident, IncidentEvent
from incidents.tasks import incident_notify_task

from ..incidents.factories import make_incident
from ..org.factories import BusinessServiceFactory

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_triage_tab_catches_a_ticket_without_a_team(
    live_server: Any,
    page: Any,
    requester: Any,
    analyst: Any,
    team: Any,
    screenshot: Any,
    size: str,
    settings: Any,
) -> None:
    settings.QUEUE_REFRESH_SECONDS = 1
    BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)
    page.set_viewport_size(SIZES[size])

    # a requester who does not know which service it is
    sign_in(page, live_server, "requester")
    page.goto(f"{live_server.url}/incidents/new/")
    page.fill("#id_title", "Strange noise from the badge reader")
    page.fill("#id_description", "It beeps twice and the door stays shut.")
    page.select_option("#id_service", label="I don't know")
    page.check('label:has-text("I can\'t work at all") input')
    page.click("button:has-text('Send report')")
    expect(page.locator(".msg-success")).to_contain_text("is logged")
    incident = Incident.objects.get()
    assert incident.team is None
    # the receipt arrives under the bell
    incident_notify_task.apply(
        args=[IncidentEvent.objects.get(incident=incident, type="incident.created").pk]
    )
    page.reload()
    if size == "phone":
        expect(page.locator(".bell-count")).to_be_visible()
    expect(page.locator(".bell-count")).to_contain_text("1")
    page.click("a.bell")
    expect(page.locator("h1")).to_have_text("Notifications")
    expect(page.locator(".notification.unread")).to_contain_text(
        f"{incident.ref} is logged: Strange noise from the badge reader"
    )
    screenshot(f"{size}-1-bell")
    page.click("button:has-text('Open')")
    expect(page.locator("h1")).to_have_text("Strange noise from the badge reader")
    expect(page.locator(".bell-count")).to_have_count(0)
    page.click("button:has-text('Sign out')") if size == "desktop" else page.goto(
        f"{live_server.url}/login/"
    )
    page.context.clear_cookies()

    # the analyst finds it in triage, not lost in nobody's queue
    sign_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/queue/")
    triage = page.locator("nav.tabs a", has_text="Triage (no team)")
    expect(triage.locator(".count")).to_have_text("1")
    expect(
        page.locator("nav.tabs a", has_text="My teams' unassigned").locator(".count")
    ).to_have_text("0")
    triage.click()
    expect(page.locator("#queue-results")).to_contain_text("Strange noise from the badge reader")
    expect(page.locator("#queue-results")).to_contain_text("left")  # time left to the due time
    screenshot(f"{size}-2-triage-tab")

    # the table refreshes itself: a second unrouted ticket appears without a reload
    make_incident(requester, title="Second unrouted ticket")
    expect(page.locator("#queue-results")).to_contain_text("Second unrouted ticket", timeout=5000)
    # … but not while rows are ticked; select-all ticks every row on the page
    page.check("#select-all")
    expect(page.locator("input[name=bulk-ids]:checked")).to_have_count(2)
    make_incident(requester, title="Third unrouted ticket")
    page.wait_for_timeout(2500)
    expect(page.locator("#queue-results")).not_to_contain_text("Third unrouted ticket")
    screenshot(f"{size}-3-paused-while-selected")
    page.uncheck("#select-all")
    expect(page.locator("#queue-results")).to_contain_text("Third unrouted ticket", timeout=5000)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_requester_sees_what_is_asked_and_adds_a_colleague(
    live_server: Any,
    page: Any,
    requester: Any,
    analyst: Any,
    team: Any,
    screenshot: Any,
    size: str,
) -> None:
    from incidents import services

    from ..org.factories import UserFactory

    UserFactory(username="jlee", display_name="Jo Lee", email="jo.lee@example.com")
    incident = make_incident(requester, title="VPN drops every hour")
    services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
    services.incident_start(incident=incident, actor=analyst)
    services.incident_pend(
        incident=incident, actor=analyst, reason="requester", note="Which VPN client version?"
    )
    page.set_viewport_size(SIZES[size])
    sign_in(page, live_server, "requester")
    page.goto(f"{live_server.url}/incidents/mine/")
    expect(page.locator("#waiting-h")).to_have_text("Waiting on you")
    expect(page.locator(".waiting-on-you blockquote")).to_have_text("Which VPN client version?")
    screenshot(f"{size}-1-my-tickets-waiting")
    page.click(f".waiting-on-you a:has-text('{incident.ref}')")
    expect(page.locator("#wait-h")).to_have_text("Waiting on you")
    expect(page.locator(".waiting-on-you")).to_contain_text("Analyst asked:")
    page.fill("#id_watch-person", "jo")
    expect(page.locator("#people-options option")).to_have_count(1)  # suggestions arrived
    page.fill("#id_watch-person", "jo.lee@example.com")
    page.click("#watchers button:has-text('Add')")
    expect(page.locator(".msg-success")).to_contain_text("Jo Lee follows this ticket now")
    expect(page.locator("#watchers")).to_contain_text("Jo Lee")
    screenshot(f"{size}-2-ticket-waiting-and-watchers")
    page.fill("#id_comment-body", "Version 5.2.1")
    page.click("button:has-text('Send reply')")
    expect(page.locator("#wait-h")).to_have_count(0)
    incident.refresh_from_db()
    assert incident.status == "in_progress" and incident.requester_replied_at is not None


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_manager_home_shows_the_workload(
    live_server: Any,
    page: Any,
    requester: Any,
    analyst: Any,
    manager: Any,
    team: Any,
    screenshot: Any,
    size: str,
) -> None:
    service = BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)
    for k in range(3):
        make_incident(requester, title=f"Mail {k}", service=service, impact=1 + k, urgency=2)
    make_incident(requester, title="Nobody's")
    page.set_viewport_size(SIZES[size])
    sign_in(page, live_server, "manager")
    table = page.locator("table.workload")
    expect(page.locator("#workload-h")).to_have_text("Your teams' workload")
    if size == "phone":  # the compact list instead of the wide table
        expect(table).to_be_hidden()
        items = page.locator(".workload-compact li")
        expect(items.first).to_contain_text("Desk: 3 open · 3 unassigned · 0 overdue · 1 P1")
        expect(items.nth(1)).to_contain_text("No team (triage): 1 open · 1 unassigned")
    else:
        expect(page.locator(".workload-compact")).to_be_hidden()
        expect(table.locator("tbody tr").first).to_contain_text("Desk")
        expect(table.locator("tbody tr").nth(1)).to_contain_text("No team (triage)")
    screenshot(f"{size}-manager-home")
