"""The desk in a real Chromium, at desktop and phone width: an analyst logs a caller's ticket
(search as you type), a requester sees a known error while reporting and says "me too", and an
analyst merges a duplicate whose requester then follows the kept ticket."""

from typing import Any

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.models import Incident, IncidentEvent

from ..incidents.factories import incident_in, make_incident, make_problem
from ..org.factories import BusinessServiceFactory, UserFactory

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(SIZES))
def width(request: pytest.FixtureRequest, page: Any) -> str:
    page.set_viewport_size(SIZES[request.param])
    return str(request.param)


@pytest.fixture
def service(team: Any) -> Any:
    return BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def open_menu_item(page: Any, width: str, name: str) -> None:
    """Through the main menu, as a person would (behind the ☰ button on a phone)."""
    if width == "phone":
        page.click("label.nav-toggle-label")
    page.click(f"nav#main-nav >> text={name}")


def test_analyst_logs_a_callers_ticket(
    live_server: Any, page: Any, width: str, analyst: Any, service: Any, screenshot: Any
) -> None:
    caller = UserFactory(
        username="ada", display_name="Ada Lovelace", email="ada.lovelace@example.com"
    )
    UserFactory(username="adam", display_name="Adam Smith", email="adam@example.com")
    known = make_problem(analyst, title="Payroll login fails after a password change")
    services.problem_publish_workaround(
        problem=known, actor=analyst, workaround="Sign in with the old password once, then retry."
    )
    sign_in(page, live_server, "analyst")
    open_menu_item(page, width, "Log a call")
    expect(page.locator("h1")).to_have_text("Log a call")
    page.locator("#id_caller_q").press_sequentially("lovelace", delay=30)  # htmx, as they type
    results = page.locator("#caller-results")
    expect(results).to_contain_text("Ada Lovelace")
    expect(results).not_to_contain_text("Adam Smith")
    expect(page.locator(f"#caller-{caller.pk}")).to_be_checked()  # the only match
    page.check("label:has-text('Phone') input[name=channel]")
    page.locator("#id_title").press_sequentially("Cannot log in to payroll", delay=20)
    panel = page.locator("#known-errors")
    expect(panel).to_contain_text("Payroll login fails after a password change")
    expect(panel.locator("button")).to_have_text("The caller has this too")
    page.fill("#id_description", "Says her password expired while on holiday.")
    page.select_option("#id_service", label="E-mail")
    screenshot(f"{width}-1-log-call-form")
    panel.locator("button").click()
    incident = Incident.objects.get()
    expect(page.locator(".msg-success")).to_have_text(
        f"{incident.ref} is logged for Ada Lovelace (phone). It is linked to the known error "
        f"{known.ref}; the caller has the workaround."
    )
    expect(page.locator("section.callout")).to_contain_text("Sign in with the old password")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Ada Lovelace")
    expect(facts).to_contain_text("Logged by")
    expect(facts).to_contain_text("Phone")
    screenshot(f"{width}-2-callers-ticket")
    assert (incident.requester, incident.reported_by, incident.channel) == (
        caller,
        analyst,
        "phone",
    )
    assert incident.problem == known and incident.workaround.startswith("Sign in with")


def test_requester_sees_a_known_error_and_says_me_too(
    live_server: Any,
    page: Any,
    width: str,
    requester: Any,
    analyst: Any,
    service: Any,
    screenshot: Any,
) -> None:
    problem = make_problem(analyst, title="Outlook crashes at start", services=[service])
    services.problem_publish_workaround(
        problem=problem,
        actor=analyst,
        workaround="Open Outlook in safe mode (hold Ctrl while starting) until the fix lands.",
    )
    sign_in(page, live_server, "requester")
    open_menu_item(page, width, "Report a problem")
    expect(page.locator("h1")).to_have_text("Report a problem")
    page.locator("#id_title").press_sequentially("Outlook crashes", delay=30)
    panel = page.locator("#known-errors")
    expect(panel).to_contain_text("Is it one of these known problems?")
    expect(panel).to_contain_text("Outlook crashes at start")
    page.click("#known-errors summary:has-text('Show the workaround')")
    expect(panel).to_contain_text("safe mode")
    screenshot(f"{width}-1-known-error-offered")
    page.click("button:has-text('This is happening to me too')")
    incident = Incident.objects.get()
    expect(page.locator(".msg-success")).to_contain_text(
        f"Thank you: {incident.ref} is logged. It is a known error (Outlook crashes at start): "
        "the workaround is below."
    )
    expect(page.locator("#wa-h")).to_have_text("Workaround")
    expect(page.locator("section.callout")).to_contain_text("safe mode")
    screenshot(f"{width}-2-workaround-at-once")
    assert incident.problem == problem and incident.requester == requester
    assert "safe mode" in incident.workaround

    open_menu_item(page, width, "My tickets")
    row = page.locator("[data-ticket]:visible").first  # a table row, or a card on a phone
    expect(row).to_contain_text("New")
    expect(row.locator("[data-expected-fix]")).to_be_visible()  # at any width
    screenshot(f"{width}-3-my-tickets")


def test_analyst_merges_a_duplicate(
    live_server: Any,
    page: Any,
    width: str,
    requester: Any,
    other_requester: Any,
    analyst: Any,
    team: Any,
    service: Any,
    screenshot: Any,
) -> None:
    kept = incident_in(
        "in_progress",
        requester=requester,
        analyst=analyst,
        team=team,
        title="Printer on floor 2 jams",
        service=service,
    )
    duplicate = make_incident(other_requester, title="Floor 2 printer eats paper", service=service)
    sign_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/incidents/{duplicate.pk}/")
    page.click("summary:has-text('Merge into')")
    page.fill("#id_merge-into", kept.ref)
    page.fill("#id_merge-note", "Same printer: we are on it in the other ticket.")
    screenshot(f"{width}-1-merge-form")
    page.click("form[action$='/merge/'] button[type=submit]")
    expect(page.locator(".msg-success")).to_have_text(
        f"{duplicate.ref} is closed as a duplicate of {kept.ref}; Other follows {kept.ref} now "
        "and has been told."
    )
    expect(page.locator("#merged-h")).to_have_text(f"Merged into {kept.ref}")
    screenshot(f"{width}-2-merged")
    duplicate.refresh_from_db()
    assert duplicate.status == "closed" and duplicate.merged_into == kept
    assert other_requester in kept.watchers.all()
    assert IncidentEvent.objects.filter(incident=kept, type="incident.merge_received").exists()

    page.context.clear_cookies()
    sign_in(page, live_server, "other")
    page.goto(f"{live_server.url}/incidents/{duplicate.pk}/")
    expect(page.locator("#merged-h")).to_have_text(f"Merged into {kept.ref}")
    glance = page.locator(".at-a-glance")
    expect(glance).to_contain_text("Closed")
    page.click(f"#merged-h >> text={kept.ref}")
    expect(page.locator("h1")).to_have_text("Printer on floor 2 jams")
    expect(page.locator(".at-a-glance")).to_contain_text("In progress")
    expect(page.locator(".at-a-glance")).to_contain_text("Analyst")
    screenshot(f"{width}-3-requester-follows-kept")


def test_bulk_link_shows_each_row_then_a_canned_reply_goes_into_the_reply_box(
    live_server: Any,
    page: Any,
    requester: Any,
    analyst: Any,
    manager: Any,
    team: Any,
    service: Any,
    screenshot: Any,
) -> None:
    page.set_viewport_size(SIZES["desktop"])
    old = make_problem(analyst, title="Old suspicion")
    problem = make_problem(analyst, title="Mail relay queue full")
    services.problem_publish_workaround(
        problem=problem, actor=analyst, workaround="Send large files through the share instead."
    )
    first = make_incident(requester, title="Mail stuck in outbox", service=service)
    second = make_incident(requester, title="Cannot send attachments", service=service)
    services.problem_link_incidents(problem=old, actor=analyst, incident_ids=[second.pk])
    services.canned_reply_create(
        actor=manager,
        team=team,
        title="Known error",
        body="Hi {requester_first_name}, {reference} is a known problem; see the workaround.",
    )
    sign_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/queue/all/")
    for incident in (first, second):
        page.check(f"#row-{incident.pk} input[type=checkbox]")
    page.fill("#id_bulk-problem", "relay queue")  # the problem chooser: searched as one types
    page.get_by_label(f"{problem.ref} · Mail relay queue full (new)").check()
    page.click("button[name=bulk-action][value=link]")
    expect(page.locator("h1")).to_have_text(f"Link to {problem.ref}?")
    plan = page.locator("table.link-plan")
    expect(plan).to_contain_text("Will be linked. The requester will receive the workaround.")
    expect(plan).to_contain_text(f"Moves from {old.ref} (Old suspicion).")
    expect(page.locator("#wa-h")).to_have_text("The workaround that will be sent")
    screenshot("1-bulk-link-preview")
    assert Incident.objects.filter(problem=problem).count() == 0  # nothing yet
    page.click("button:has-text('Move, link and send the workaround')")
    expect(page.locator(".msg-success")).to_have_text(f"Linked 2 incident(s) to {problem.ref}.")
    assert Incident.objects.filter(problem=problem).count() == 2
    first.refresh_from_db()
    assert first.workaround == "Send large files through the share instead."

    page.goto(f"{live_server.url}/incidents/{first.pk}/")
    page.fill("#id_comment-body", "Thanks for reporting.")
    page.select_option("#canned-select", label="Desk: Known error")
    page.click(".canned-pick button")  # htmx swaps the reply box, keeping what was typed
    expect(page.locator("#id_comment-body")).to_have_value(
        f"Thanks for reporting.\n\nHi Requester, {first.ref} is a known problem; "
        "see the workaround."
    )
    expect(page.locator("#id_comment-visibility_1")).to_be_checked()  # a reply, not a note
    screenshot("2-canned-reply-inserted")
