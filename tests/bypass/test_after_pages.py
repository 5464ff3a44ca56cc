"""Pages: the break-glass form reached from the refusal on a change, ratify in the inbox, the
review form, and the process owners' standard bypasses — with the texts people read and the
query counts of the list page."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from bypass import services
from bypass.choices import State
from bypass.models import BypassRequest
from changes.choices import ChangeStatus
from servicedesk import clock

from .conftest import FREEZE, PASSWORD, declare

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_refusal_on_a_change_offers_break_glass_and_the_form_declares(world):
    client = signed_in(world["oncall"])
    change = world["change"]
    refused = client.post(f"/changes/{change.pk}/schedule/")
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Break glass</a>" in html and "During an open P1/P2 or major incident" in html
    url = refused.context["bypass"]["break_glass_url"]
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "The grant lasts 240 minutes for at most 2 uses" in text
    form = {
        "gate": FREEZE,
        "subject_type": "changes.change",
        "subject_id": change.pk,
        "incident": world["incident"].ref,
        "justification": "Payroll is down; the fix must go in during the freeze.",
        "password": "wrong",
    }
    wrong = client.post("/bypass/break-glass/", form)
    assert wrong.status_code == 403
    assert "Your password did not match." in wrong.content.decode()
    assert not BypassRequest.objects.exists()
    done = client.post("/bypass/break-glass/", {**form, "password": PASSWORD}, follow=True)
    assert done.redirect_chain[-1][0] == f"/changes/{change.pk}/"
    assert "break-glass is in effect until" in done.content.decode()
    assert client.post(f"/changes/{change.pk}/schedule/").status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.SCHEDULED


def test_break_glass_page_for_someone_not_eligible(world):
    page = signed_in(world["requester"]).get(
        f"/bypass/break-glass/?gate={FREEZE}&subject_type=changes.change"
        f"&subject_id={world['change'].pk}"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "is for the On-call engineers group; you are not in it." in text
    assert "Break glass now" not in text


def test_ratify_in_the_inbox_then_review(world):
    req = declare(world)
    manager = signed_in(world["managers"][0])
    inbox = manager.get("/bypass/inbox/").content.decode()
    assert f'Break-glass <a href="/bypass/{req.pk}/"' in inbox
    assert "Ratify</button>" in inbox and "Repudiate</button>" in inbox
    with time_machine.travel(clock.now() + timedelta(hours=5), tick=False):
        services.bypass_sweep()
        done = manager.post(
            f"/bypass/{req.pk}/ratify/",
            {"next": "inbox", "prefix": f"r{req.pk}", f"r{req.pk}-comment": "Right call."},
            follow=True,
        )
    assert f"{req.ref} is ratified." in done.content.decode()
    assert "Nothing awaits your decision." in done.content.decode()
    req.refresh_from_db()
    assert req.state == State.UNDER_REVIEW
    oncall = signed_in(world["oncall"])
    assert "Write the review" in oncall.get(f"/bypass/{req.pk}/").content.decode()
    empty = oncall.post(f"/bypass/{req.pk}/review/", {})
    assert empty.status_code == 400
    saved = oncall.post(
        f"/bypass/{req.pk}/review/",
        {
            "outcome": "worked",
            "misfit": "The freeze has no path for an outage fix.",
            "proposal": "An on-call exception path in freezes.",
        },
        follow=True,
    )
    text = saved.content.decode()
    assert f"Thank you: {req.ref} is reviewed and closed." in text
    assert "What about the process did not fit:</strong> The freeze has no path" in text


def test_standard_page_for_process_owners_only(world, in_group):
    analyst = signed_in(world["oncall"])
    assert analyst.get("/bypass/standard/").status_code == 403
    owner = signed_in(world["owner"])
    page = owner.get("/bypass/standard/").content.decode()
    assert (
        "No standard bypasses yet." in page and "Nobody's break-glass right is suspended." in page
    )
    bad = owner.post("/bypass/standard/", {"title": ""})
    assert bad.status_code == 400
    made = owner.post(
        "/bypass/standard/",
        {
            "title": "Kiosk outages",
            "gate_id": "incident.closure.customer_confirmation",
            "treatment": "skip",
            "reason_category": "service_restoration",
            "service_tier": 3,
            "subject_type": "incidents.incident",
            "max_duration_hours": 8,
            "max_uses": 1,
            "review_every_days": 90,
            "degrade_percent": 34,
            "degrade_min_reviews": 3,
        },
        follow=True,
    )
    assert "“Kiosk outages” now pre-approves matching requests." in made.content.decode()


@pytest.mark.parametrize("rows", [1, 5])
def test_standard_page_query_count(world, rows, django_assert_num_queries):
    for i in range(rows):
        services.bypass_standard_create(
            actor=world["owner"],
            title=f"Rule {i}",
            gate_id="incident.closure.customer_confirmation",
            treatment="skip",
            reason_category="service_restoration",
            service_tier=3,
            subject_type="incidents.incident",
        )
    client = signed_in(world["owner"])
    client.get("/bypass/standard/")  # warm the session
    with django_assert_num_queries(9):
        response = client.get("/bypass/standard/")
    assert response.content.decode().count("Review note") == rows
