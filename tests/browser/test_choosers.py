"""The ticket page's choosers in a real Chromium: an analyst links a problem and assigns a
colleague by typing and choosing with the keyboard; the page stays clean under axe with the
matches shown; without JavaScript a typed username does the same."""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from incidents.models import Incident

from ..incidents.factories import incident_in, make_problem
from ..org.factories import UserFactory

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


@pytest.mark.parametrize("size", list(SIZES))
def test_analyst_links_a_problem_and_assigns_a_person_by_typing(
    live_server: Any,
    page: Any,
    requester: Any,
    analyst: Any,
    manager: Any,
    team: Any,
    screenshot: Callable[[str], Any],
    size: str,
) -> None:
    page.set_viewport_size(SIZES[size])
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    for k in range(30):  # many open problems: none is listed until one types
        make_problem(manager, title=f"Unrelated trouble {k}")
    problem = make_problem(manager, title="Outlook profiles corrupt after update")
    colleague = UserFactory(username="bea", display_name="Bea Colleague")
    team.members.add(colleague)
    live = page.locator("#live")
    sign_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    expect(page.locator("#id_link-problem-problem_results input[type=radio]")).to_have_count(0)

    # the problem: type, hear how many match, Tab into the matches, Space chooses one
    box = page.locator("#id_link-problem-problem")
    box.fill("outlook prof")
    expect(live).to_have_text("1 problem matches")
    option = page.get_by_label(f"{problem.ref} · Outlook profiles corrupt after update (new)")
    expect(option).to_be_visible()
    screenshot("problem-matches")
    box.focus()
    page.keyboard.press("Tab")
    expect(option).to_be_focused()
    page.keyboard.press("Space")
    expect(option).to_be_checked()
    page.get_by_role("button", name="Link to problem").click()
    expect(page.locator(".messages, [role=status], .flash").first).to_be_visible()
    incident.refresh_from_db()
    assert incident.problem_id == problem.pk

    # the assignee: in the Assign form
    page.locator("summary", has_text="Assign").first.click()
    person = page.locator("#id_assign-assignee")
    person.fill("bea")
    expect(live).to_have_text("1 person matches")
    choice = page.get_by_label("Bea Colleague · bea · bea@example.com")
    choice.check()
    screenshot("assignee-chosen")
    page.locator("form[action$='/assign/'] button[name=do]").click()
    expect(page.locator("main")).to_contain_text("Bea Colleague")
    incident.refresh_from_db()
    assert incident.assignee_id == colleague.pk


def test_without_javascript_a_typed_username_assigns(
    live_server: Any,
    browser: Any,
    requester: Any,
    analyst: Any,
    manager: Any,
    team: Any,
) -> None:
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "analyst")
        page.goto(f"{live_server.url}/incidents/{incident.pk}/")
        page.locator("summary", has_text="Assign").first.click()
        page.fill("#id_assign-assignee", "nobody-here")
        page.locator("form[action$='/assign/'] button[name=do]").click()
        expect(page.locator("main")).to_contain_text("No person is “nobody-here”")
        # the form comes back open, with what was typed
        page.fill("#id_assign-assignee", "manager")
        page.locator("form[action$='/assign/'] button[name=do]").click()
        expect(page.locator("main")).to_contain_text("Manager")
    finally:
        context.close()
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.assignee == manager
