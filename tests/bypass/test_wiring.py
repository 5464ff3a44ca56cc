"""The gates wired into the processes: a change's authorisation held by its authority gate,
passed with an approved bypass substituting a single authority; the blocked refusal names the
gate and offers a pre-filled request (page and API)."""

from typing import Any

import pytest

from bypass import services
from bypass.choices import State
from changes import services as change_services
from changes.choices import ChangeStatus
from servicedesk.errors import GuardFailed

from ..changes.factories import HIGH_RISK, authority, make_change
from ..org.factories import UserFactory
from .conftest import file

pytestmark = pytest.mark.django_db
CAB = "change.normal.cab_authorization"


@pytest.fixture
def assessed(analyst: Any, policies: None) -> Any:
    cab = [UserFactory(username=f"cab{i}") for i in range(3)]
    for slug in ("peer-review", "service-owner", "cab", "ecab"):
        authority(slug).members.set(cab)
    change = make_change(analyst, risk=HIGH_RISK)
    change = change_services.change_submit(change=change, actor=analyst)
    assert change.status == ChangeStatus.ASSESSED
    return change


def test_blocked_without_bypass_names_the_gate(api, analyst, assessed):
    with pytest.raises(GuardFailed) as caught:
        change_services.change_proceed_with_bypass(change=assessed, actor=analyst)
    assert caught.value.guard == CAB
    response = api(analyst).post(f"/api/v1/changes/{assessed.pk}/proceed/")
    assert response.status_code == 409
    offer = response.json()["details"]["bypass"]
    assert offer["gate"] == CAB and offer["can_request_bypass"]
    assert f"subject_id={assessed.pk}" in offer["request_url"]


def test_substitute_authority_through_a_bypass(client, analyst, assessed, managers):
    page = client
    page.force_login(analyst)
    html = page.get(f"/changes/{assessed.pk}/").content.decode()
    assert "Request a bypass" in html and CAB in html
    req = file(
        analyst,
        assessed,
        subject_type="changes.change",
        items=[{"gate": CAB, "treatment": "substitute", "value": "Single change authority"}],
        reason_category="business_deadline",
    )
    assert req.state == State.IN_REVIEW
    req = services.bypass_approve(request=req, actor=managers[0], comment="Covered.")
    assert req.state == State.ACTIVE
    change = change_services.change_proceed_with_bypass(change=assessed, actor=analyst)
    assert change.status == ChangeStatus.AUTHORISED
    req.refresh_from_db()
    assert req.state == State.CONSUMED
    event = change.events.get(type="change.authority_bypassed")
    assert event.payload["bypass"] == req.ref
    use = req.uses.get()
    assert event.payload["receipt"]["seq"] == use.ledger_seq
    assert "still awaits the decision of CAB" in use.verdict
    html = page.get(f"/changes/{assessed.pk}/").content.decode()
    assert f"Receipt #{use.ledger_seq}" in html


def test_every_change_guard_is_a_gate_evaluated_counted_and_bypassable(
    analyst, owners, managers, policies, require_redis_counts
):
    from datetime import timedelta

    from bypass import counters
    from servicedesk import clock

    lead = "change.normal.lead_time"
    # Starts tomorrow: too soon for a normal change's lead time.
    start = clock.now() + timedelta(hours=30)
    change = make_change(
        analyst, risk=HIGH_RISK, planned_start=start, planned_end=start + timedelta(hours=1)
    )
    before = counters.counts(lead)
    with pytest.raises(GuardFailed) as caught:
        change_services.change_submit(change=change, actor=analyst)
    assert caught.value.details["bypass"]["gate"] == lead
    assert counters.counts(lead)["blocked"] == before["blocked"] + 1
    group_owner = managers[0]
    from django.contrib.auth.models import Group

    Group.objects.get(name="Change authority").user_set.add(group_owner, managers[1])
    req = file(
        analyst,
        change,
        subject_type="changes.change",
        items=[{"gate": lead, "treatment": "skip"}],
        reason_category="rule_misfire",
    )
    for person in (*managers, *owners):
        req.refresh_from_db()
        if req.state != State.IN_REVIEW:
            break
        try:
            services.bypass_approve(request=req, actor=person)
        except Exception:  # noqa: S112 - not every person is in the plan
            continue
    req.refresh_from_db()
    assert req.state == State.ACTIVE
    cab = [UserFactory(username=f"cab{i}") for i in range(3)]
    for slug in ("peer-review", "service-owner", "cab", "ecab"):
        authority(slug).members.set(cab)
    change = change_services.change_submit(change=change, actor=analyst)
    assert change.status == ChangeStatus.ASSESSED
    submitted = change.events.get(type="change.submitted")
    assert submitted.payload["bypasses"][0]["bypass"] == req.ref
    assert req.ref in submitted.reason
    req.refresh_from_db()
    assert req.state == State.CONSUMED
    assert counters.counts(lead)["bypassed"] == before["bypassed"] + 1
