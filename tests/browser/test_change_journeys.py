"""Change journeys in a real Chromium: a requester files a normal change, two members of its
authority approve it in their inbox, it is scheduled; a change into a freeze is refused with
the reason shown; a standard change goes straight to scheduled."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from changes import services
from changes.models import Change

from ..changes.factories import People, authority, change_in, make_template
from ..org.factories import BusinessServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def world(db: Any, requester: Any, analyst: Any, in_group: Any) -> dict[str, Any]:
    from org.choices import Role

    platform = TeamFactory(slug="platform", name="Platform")
    implementer = UserFactory(username="ivy", display_name="Ivy Implementer")
    platform.members.add(implementer)
    payroll = BusinessServiceFactory(slug="payroll", name="Payroll", owner_team=platform, tier=1)
    members = [
        in_group(UserFactory(username=n, display_name=n.title()), Role.CHANGE_AUTHORITY)
        for n in ("alice", "bob", "carol")
    ]
    for slug in ("peer-review", "service-owner", "cab", "ecab"):
        authority(slug).members.set(members)
    owner = in_group(UserFactory(username="owner", display_name="Olga Owner"), Role.PROCESS_OWNER)
    return {
        "payroll": payroll,
        "implementer": implementer,
        "members": members,
        "owner": owner,
        "people": People(requester, implementer, members, owner),
    }


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def test_normal_change_is_authorised_by_two_cab_members_and_scheduled(
    live_server: Any, page: Any, world: dict[str, Any], screenshot: Any
) -> None:
    sign_in(page, live_server, "requester")
    page.click("nav >> text=Changes")
    page.click(".tabs >> text=New change")
    expect(page.locator("h1")).to_have_text("Request a change")
    start = timezone.localtime() + timedelta(days=6)
    page.fill("#id_title", "Upgrade the payroll database")
    page.fill("#id_description", "Minor version with security fixes.")
    page.select_option("#id_category", "database")
    page.select_option("#id_services", label="Payroll")
    page.select_option("#id_implementer", label="Ivy Implementer")
    page.fill("#id_planned_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_planned_end", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_implementation_plan", "Upgrade the standby, fail over, upgrade the old primary.")
    page.fill("#id_backout_plan", "Fail back to the old primary.")
    page.fill("#id_test_plan", "Rehearsed on staging on Monday.")
    page.select_option("#id_impact_if_fails", "2")
    page.select_option("#id_complexity", "medium")
    page.select_option("#id_tested", "yes")
    page.select_option("#id_backout_tested", "yes")
    screenshot("1-new-change")
    page.click("button:has-text('Submit')")
    change = Change.objects.get()
    expect(page.locator(".msg-success")).to_have_text(f"{change.ref} is submitted; it awaits CAB.")
    expect(page.locator(".authority-chain")).to_contain_text("CAB — 2 of 3 members")
    expect(page.locator("#change-status")).to_have_text("Assessed (awaiting authorisation)")
    screenshot("2-submitted-path-and-authority")

    for n, member in enumerate(("alice", "bob"), start=1):
        sign_in(page, live_server, member)
        page.goto(f"{live_server.url}/changes/inbox/")
        item = page.locator(".inbox-item", has_text=change.ref)
        expect(item).to_contain_text("High risk")
        expect(item).to_contain_text("No conflicting changes.")
        item.locator("textarea").fill(f"Approved by {member}.")
        screenshot(f"3-inbox-{member}")
        item.locator("button:has-text('Approve')").click()
        expect(page.locator(".msg-success")).to_contain_text(f"You approved {change.ref}.")
        if n == 2:
            expect(page.locator(".msg-success")).to_contain_text("It is now authorised.")
        expect(page.locator(".empty")).to_have_text("Nothing awaits your decision.")
    change.refresh_from_db()
    assert change.status == "authorised"

    sign_in(page, live_server, "requester")
    page.goto(f"{live_server.url}/changes/{change.pk}/")
    page.click("button[value=schedule]")
    expect(page.locator(".msg-success")).to_have_text(f"{change.ref} is scheduled.")
    expect(page.locator("#change-status")).to_have_text("Scheduled")
    screenshot("4-scheduled")
    page.goto(f"{live_server.url}/changes/calendar/?date={start.date().isoformat()}")
    expect(page.locator("table.calendar")).to_contain_text(change.ref)
    screenshot("5-calendar-week")
    change.refresh_from_db()
    assert change.status == "scheduled"


def test_a_change_into_a_freeze_is_refused_with_the_reason(
    live_server: Any, page: Any, world: dict[str, Any], screenshot: Any
) -> None:
    change = change_in("authorised", world["people"], services=[world["payroll"]])
    services.freeze_create(
        actor=world["owner"],
        name="Payroll run",
        starts_at=change.planned_start - timedelta(hours=1),
        ends_at=change.planned_end + timedelta(hours=1),
        reason="Salaries are being paid.",
        services=[world["payroll"]],
    )
    sign_in(page, live_server, "requester")
    page.goto(f"{live_server.url}/changes/{change.pk}/")
    expect(page.locator("#sched-h")).to_have_text("Schedule warnings")
    page.click("button[value=schedule]")
    error = page.locator(".msg-error")
    expect(error).to_contain_text("Freeze windows: ")
    expect(error).to_contain_text("it falls in the freeze window “Payroll run”")
    expect(error).to_contain_text("Payroll): Salaries are being paid.")
    expect(page.locator("#change-status")).to_have_text("Authorised")
    screenshot("freeze-refused")
    change.refresh_from_db()
    assert change.status == "authorised"


def test_a_standard_change_goes_straight_to_scheduled(
    live_server: Any, page: Any, world: dict[str, Any], analyst: Any, screenshot: Any
) -> None:
    make_template(analyst, world["owner"], services=[world["payroll"]])
    sign_in(page, live_server, "requester")
    page.goto(f"{live_server.url}/changes/templates/")
    expect(page.locator("table.table")).to_contain_text("Restart an application server")
    page.click("a:has-text('Use')")
    start = timezone.localtime() + timedelta(hours=5)
    page.fill("#id_planned_start", start.strftime("%Y-%m-%dT%H:%M"))
    screenshot("1-from-template")
    page.click("button:has-text('Submit')")
    change = Change.objects.get()
    expect(page.locator(".msg-success")).to_have_text(
        f"{change.ref} is pre-authorised and scheduled."
    )
    expect(page.locator("#change-status")).to_have_text("Scheduled")
    expect(page.locator("#auth-h + p")).to_contain_text("Nobody: it follows the pre-authorised")
    screenshot("2-scheduled")
    assert change.status == "scheduled" and change.type == "standard"
