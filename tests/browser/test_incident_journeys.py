"""Two journeys in a real Chromium: a requester reports a problem and rates the fix; an
analyst takes an incident from the queue, writes an internal note and resolves it."""

from typing import Any

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.models import Incident, IncidentComment, IncidentEvent, Satisfaction

from ..incidents.factories import make_incident
from ..org.factories import BusinessServiceFactory

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def service(team: Any) -> Any:
    return BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def test_requester_reports_a_problem_and_rates_the_fix(
    live_server: Any,
    page: Any,
    requester: Any,
    analyst: Any,
    service: Any,
    screenshot: Any,
) -> None:
    sign_in(page, live_server, "requester")
    page.click("nav >> text=Report a problem")
    expect(page.locator("h1")).to_have_text("Report a problem")
    page.fill("#id_title", "Outlook will not open")
    page.fill("#id_description", "It crashes at start with error 0x80040115.")
    page.select_option("#id_service", label="E-mail")
    page.check('label:has-text("I can\'t work at all") input')
    page.set_input_files(
        "#id_attachment", files=[{"name": "crash.png", "mimeType": "image/png", "buffer": PNG}]
    )
    screenshot("1-report-form")
    page.click("button:has-text('Send report')")
    expect(page.locator(".msg-success")).to_contain_text("is logged")
    incident = Incident.objects.get()
    assert (incident.title, incident.requester, incident.priority) == (
        "Outlook will not open",
        requester,
        2,
    )
    assert incident.attachments.get().filename == "crash.png"
    expect(page.locator("h1")).to_have_text("Outlook will not open")
    expect(page.locator("ul.files")).to_contain_text("crash.png")
    screenshot("2-ticket-reported")

    page.click("nav >> text=My tickets")
    expect(page.locator("table.table")).to_contain_text(incident.ref)
    expect(page.locator("table.table")).to_contain_text("Outlook will not open")
    screenshot("3-my-tickets")

    # the service desk fixes it
    services.incident_assign(incident=incident, actor=analyst, assignee=analyst)
    services.incident_comment(incident=incident, actor=analyst, body="Looking at it now.")
    services.incident_comment(
        incident=incident, actor=analyst, body="Profile corrupt, VIP user", internal=True
    )
    services.incident_resolve(
        incident=incident, actor=analyst, code="fixed", notes="Rebuilt your Outlook profile."
    )

    page.reload()
    page.click(f"text={incident.ref}")
    expect(page.locator("#res-h")).to_have_text("We think this is fixed")
    expect(page.locator("main")).to_contain_text("Rebuilt your Outlook profile.")
    expect(page.locator("main")).to_contain_text("Looking at it now.")
    expect(page.locator("main")).not_to_contain_text("Profile corrupt")
    screenshot("4-ticket-resolved")
    page.check("#rate label:has-text('5 · Excellent') input")
    page.fill("#id_rate-comment", "Fixed within the hour, thank you!")
    page.click("#rate button[type=submit]")
    expect(page.locator(".msg-success")).to_have_text("Thank you for your rating.")
    expect(page.locator(".rated")).to_contain_text("5/5")
    screenshot("5-rated")

    rating = Satisfaction.objects.get(incident=incident)
    assert (rating.rating, rating.comment, rating.rated_by, rating.resolution_number) == (
        5,
        "Fixed within the hour, thank you!",
        requester,
        1,
    )


def test_analyst_takes_notes_and_resolves_from_the_queue(
    live_server: Any,
    page: Any,
    requester: Any,
    analyst: Any,
    service: Any,
    screenshot: Any,
) -> None:
    incident = make_incident(
        requester,
        title="VPN drops every hour",
        description="Since Monday the VPN disconnects on the hour.",
        service=service,
    )
    make_incident(requester, title="Printer on floor 2 jams", service=service, impact=4, urgency=4)
    sign_in(page, live_server, "analyst")
    page.click("nav >> text=Queue")
    expect(page.locator(".tabs [aria-current=page]")).to_have_text("My work 0")
    page.click(".tabs >> text=My teams' unassigned")
    row = page.locator(f"#row-{incident.pk}")
    expect(row).to_contain_text("VPN drops every hour")
    screenshot("1-queue-unassigned")

    row.locator("button:has-text('Take')").click()  # htmx swaps the row in place
    expect(row.locator(".badge.ok", has_text="taken by you")).to_be_visible()
    expect(row).to_contain_text("Analyst")
    assert "/queue/unassigned/" in page.url
    screenshot("2-queue-taken")

    row.locator(f"text={incident.ref}").click()
    expect(page.locator("h1")).to_have_text("VPN drops every hour")
    expect(page.locator("#id_comment-visibility_0")).to_be_checked()  # internal by default
    page.fill("#id_comment-body", "Checked the concentrator logs: idle timeout is 60 min.")
    page.click("#reply button[type=submit]")
    expect(page.locator(".msg-success")).to_have_text("Internal note added.")
    screenshot("3-internal-note")

    page.click("summary:has-text('Resolve')")
    page.select_option("#id_resolve-code", "fixed")
    page.fill("#id_resolve-notes", "Raised the idle timeout to 8 hours.")
    screenshot("4-resolve-form")
    page.click("form[action$='/resolve/'] button[type=submit]")
    expect(page.locator(".msg-success")).to_contain_text("is resolved")
    screenshot("5-resolved")

    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert (incident.resolution_code, incident.resolution_notes) == (
        "fixed",
        "Raised the idle timeout to 8 hours.",
    )
    assert incident.assignee == analyst and incident.resolved_at is not None
    note = IncidentComment.objects.get(incident=incident)
    assert note.is_internal and note.author == analyst
    assert list(IncidentEvent.objects.filter(incident=incident).values_list("type", flat=True)) == [
        "incident.created",
        "incident.assigned",
        "incident.noted",
        "incident.resolved",
    ]

    timeline = page.locator("ol.timeline > li")
    expect(timeline).to_have_count(4)
    expect(timeline.nth(0)).to_contain_text("reported the incident")
    expect(timeline.nth(1)).to_contain_text("took the incident")
    expect(timeline.nth(2)).to_have_class("internal kind-note")
    expect(timeline.nth(2)).to_contain_text("idle timeout is 60 min")
    expect(timeline.nth(3)).to_contain_text("resolved it (fixed)")
    expect(timeline.nth(3)).to_contain_text("Raised the idle timeout to 8 hours.")
