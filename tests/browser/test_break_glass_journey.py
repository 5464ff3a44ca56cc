"""Break-glass in a real Chromium: during a P1, the on-call analyst is refused scheduling the
fix into a change freeze, breaks glass from the refusal (re-entering their password), and the
change is scheduled; the next morning a manager ratifies it in the inbox; the analyst writes
the review after use with a proposal to change the process."""

import importlib
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from bypass import ledger, services
from bypass.models import BypassRequest, BypassReview
from changes import services as change_services
from changes.models import Change
from improvements.models import Improvement
from incidents.models import Incident
from org.choices import Role
from servicedesk import clock
from servicedesk.celery import app
from servicedesk.models import OutboxMessage

from ..changes.factories import People, authority, change_in
from ..incidents.factories import make_incident
from ..org.factories import BusinessServiceFactory, TeamFactory, UserFactory
from .test_change_journeys import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(db: Any) -> None:
    """The seeded policies (a transactional test's flush removes migration data)."""
    importlib.import_module("bypass.migrations.0002_append_only_and_policies").seed(apps, None)
    importlib.import_module("bypass.migrations.0004_break_glass_review_standard").seed(apps, None)


def test_on_call_breaks_glass_during_a_p1_and_a_manager_ratifies_next_morning(
    live_server: Any, page: Any, in_group: Any, seeded: None, screenshot: Any
) -> None:
    platform = TeamFactory(slug="platform", name="Platform")
    payroll = BusinessServiceFactory(slug="payroll", name="Payroll", owner_team=platform, tier=2)
    implementer = UserFactory(username="ivy", display_name="Ivy Implementer")
    platform.members.add(implementer)
    cab = [
        in_group(UserFactory(username=n, display_name=n.title()), Role.CHANGE_AUTHORITY)
        for n in ("alice", "bob", "carol")
    ]
    for slug in ("peer-review", "service-owner", "cab", "ecab"):
        authority(slug).members.set(cab)
    owner = in_group(UserFactory(username="olga", display_name="Olga Owner"), Role.PROCESS_OWNER)
    in_group(UserFactory(username="mona", display_name="Mona Manager"), Role.MANAGER)
    oncall = UserFactory(username="omar", display_name="Omar Oncall")
    platform.members.add(oncall)
    Group.objects.get(name="On-call engineers").user_set.add(oncall)
    requester = UserFactory(username="rita", display_name="Rita Requester")
    change = change_in(
        "authorised",
        People(requester, implementer, cab, owner),
        services=[payroll],
        title="Patch the payroll API connection pool",
    )
    change_services.freeze_create(
        actor=owner,
        name="Year-end freeze",
        starts_at=clock.now(),
        ends_at=change.planned_end + timedelta(days=2),
        reason="Year-end close: no changes to finance services.",
    )
    incident = make_incident(requester, actor=oncall, title="Payroll API times out for everyone")
    Incident.objects.filter(pk=incident.pk).update(priority=1)

    # 1. The on-call analyst is refused: the change falls in the freeze.
    sign_in(page, live_server, "omar")
    page.goto(f"{live_server.url}/changes/{change.pk}/")
    page.click("button:has-text('Schedule')")
    offer = page.locator("div.card", has_text="Blocked by a process step")
    expect(offer).to_contain_text("change.schedule.freeze")
    expect(offer).to_contain_text("you may break glass")
    screenshot("1-refused-by-the-freeze")

    # 2. Break glass from the refusal: link the P1, say why, re-enter the password.
    offer.get_by_role("link", name="Break glass").click()
    expect(page.locator("h1")).to_have_text("Break glass")
    expect(page.locator("main")).to_contain_text("The grant lasts 240 minutes for at most 2 uses")
    page.fill("#id_incident", incident.ref)
    page.fill("#id_justification", "Payroll API is down for everyone; the pool fix must go in now.")
    page.fill("#id_password", "not-my-password")
    page.click("button:has-text('Break glass now')")
    expect(page.locator("main")).to_contain_text("Your password did not match.")
    screenshot("2-step-up-refused")
    page.fill("#id_justification", "Payroll API is down for everyone; the pool fix must go in now.")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button:has-text('Break glass now')")
    req = BypassRequest.objects.get()
    expect(page.locator(".msg-success")).to_contain_text(f"{req.ref}: break-glass is in effect")

    # 3. The fix is deployed: scheduling now passes the freeze gate through the grant.
    page.click("button:has-text('Schedule')")
    expect(page.locator(".page-head")).to_contain_text("Scheduled")
    screenshot("3-change-scheduled-through-break-glass")
    assert Change.objects.get(pk=change.pk).status == "scheduled"

    # 4. Next morning: the grant has run out; a manager ratifies in the inbox.
    with time_machine.travel(clock.now() + timedelta(hours=14)):
        services.bypass_sweep()
        sign_in(page, live_server, "mona")
        page.goto(f"{live_server.url}/bypass/inbox/")
        item = page.locator(".inbox-item", has_text=req.ref)
        expect(item).to_contain_text("broke glass during")
        expect(item).to_contain_text(incident.ref)
        item.locator("textarea").fill("Right call: the outage cost more than the freeze protects.")
        screenshot("4-manager-ratifies-next-morning")
        item.locator("button:has-text('Ratify')").click()
        expect(page.locator(".msg-success")).to_contain_text(f"{req.ref} is ratified.")

        # 5. The analyst writes the review after use, with a proposal.
        sign_in(page, live_server, "omar")
        page.goto(f"{live_server.url}/bypass/{req.pk}/")
        page.click("text=Write the review")
        expect(page.locator("h1")).to_contain_text("Review after use")
        page.check("input[value=worked]")
        page.fill("#id_links", incident.ref)
        page.fill("#id_misfit", "The freeze has no path for fixing an outage it is protecting.")
        page.fill(
            "#id_proposal", "Add an on-call exception to freezes for P1 fixes, ratified after."
        )
        screenshot("5-review-form")
        page.click("button:has-text('Save the review')")
        expect(page.locator(".msg-success")).to_contain_text(f"{req.ref} is reviewed and closed")
        screenshot("6-closed-with-review")

    review = BypassReview.objects.get(request=req)
    assert review.proposal.startswith("Add an on-call exception")
    assert ledger.verify().ok

    # 6. The worker feeds the register from the review (what the outbox relays to it), and the
    #    process owner finds the suggestion in the register, with the request as evidence.
    (feed,) = OutboxMessage.objects.filter(key__startswith="improvement-feed:")
    app.tasks[feed.task].apply(args=feed.args, kwargs=feed.kwargs)
    proposal = "Add an on-call exception to freezes for P1 fixes, ratified after."
    sign_in(page, live_server, "olga")
    page.goto(f"{live_server.url}/improvements/")
    page.click(f"a:has-text('{proposal}')")
    # The reference comes from the table's sequence, which other tests in the run have advanced.
    item = Improvement.objects.get(title=proposal)
    expect(page.locator("h1")).to_have_text(f"{item.ref} {proposal}")
    main = page.locator("main")
    expect(main).to_contain_text(
        "What did not fit: The freeze has no path for fixing an outage it is protecting."
    )
    expect(main).to_contain_text(req.ref)
    screenshot("7-suggestion-in-the-register-for-the-process-owner")
