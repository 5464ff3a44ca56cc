"""The improvement register in a real Chromium: a requester suggests an improvement from their
ticket; a process owner finds it in the register, accepts it and marks it done; the requester
reads what happened under the bell."""

from typing import Any

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from improvements.models import Improvement, ImprovementEvent
from improvements.tasks import improvement_notify_task

from ..incidents.factories import make_incident
from ..org.factories import UserFactory
from .test_change_journeys import sign_in

pytestmark = pytest.mark.browser


def deliver(improvement: Improvement) -> None:
    """What the worker does with the outbox: tell the people each event concerns."""
    for event in ImprovementEvent.objects.filter(improvement=improvement).order_by("pk"):
        improvement_notify_task.apply(args=[event.pk])


def test_a_suggestion_from_a_ticket_is_accepted_done_and_reported_back(
    live_server: Any, page: Any, requester: Any, screenshot: Any
) -> None:
    owner = UserFactory(username="pat", display_name="Pat Owner")
    Group.objects.get_or_create(name="Process owners")[0].user_set.add(owner)
    incident = make_incident(requester, title="VPN access form")

    # the requester suggests it from their ticket
    sign_in(page, live_server, "requester")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    page.click("a:has-text('Suggest an improvement')")
    expect(page.locator("h1")).to_have_text("Suggest an improvement")
    expect(page.locator("main form")).to_contain_text(
        f"This suggestion links {incident.ref} as its evidence."
    )
    page.fill("#id_title", "The VPN form asks for the asset tag nobody knows")
    page.fill("#id_description", "Nobody knows their asset tag; the desk could look it up.")
    screenshot("1-suggest")
    page.click("main form button.primary")
    row = Improvement.objects.get()
    expect(page.locator(".msg-success")).to_contain_text(
        f"Thank you: {row.ref} is in the register. You will be told what becomes of it."
    )
    expect(page.locator("section", has_text="Evidence")).to_contain_text(incident.ref)
    screenshot("2-suggested")

    # the process owner finds it in the register, accepts it and marks it done
    sign_in(page, live_server, "pat")
    page.goto(f"{live_server.url}/improvements/?status=suggested")
    page.click(f"a:has-text('{row.ref}')")
    page.click("button:has-text('Accept')")
    expect(page.locator(".msg-success")).to_contain_text(
        f"{row.ref} is accepted. The person who suggested it is told."
    )
    page.click("button:has-text('Mark done')")
    expect(page.locator(".msg-success")).to_contain_text(
        f"{row.ref} is done. The person who suggested it is told."
    )
    expect(page.locator(".page-head .badge")).to_have_text("Done")
    screenshot("3-done")
    deliver(row)

    # the requester reads what happened
    sign_in(page, live_server, "requester")
    expect(page.locator(".bell-count")).to_contain_text("2")
    page.click("a.bell")
    notices = page.locator(".notification.unread")
    expect(notices.first).to_contain_text(f"{row.ref} is done")
    expect(notices.first).to_contain_text(
        "Pat Owner marked “The VPN form asks for the asset tag nobody knows”, which you "
        "suggested, as done. Thank you for speaking up."
    )
    expect(notices.nth(1)).to_contain_text(f"{row.ref} was accepted")
    screenshot("4-bell")
    page.goto(f"{live_server.url}/improvements/")
    expect(page.locator("table")).to_contain_text("Done")
    screenshot("5-register")
