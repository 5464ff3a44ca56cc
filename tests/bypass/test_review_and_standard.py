"""The review after use (required before close, chased when overdue, sends ``request_reviewed``
once committed) and standard bypasses (pre-approve only what matches, demoted when the
outcomes of their uses degrade, reviewed periodically) — each fact on the verified ledger."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from bypass import engine, ledger, notifications, services, signals
from bypass.choices import State
from bypass.models import BypassEvent, StandardBypass
from servicedesk import clock
from servicedesk.errors import GuardFailed, PermissionDenied, ValidationFailed

from ..incidents.factories import make_incident
from ..org.factories import BusinessServiceFactory
from .conftest import file

pytestmark = pytest.mark.django_db
CLOSURE = "incident.closure.customer_confirmation"


def refuse() -> None:
    raise GuardFailed("The requester confirms the fix.", guard=CLOSURE)


def use(incident: Any, actor: Any) -> engine.Outcome:
    return engine.pass_gate(
        gate_id=CLOSURE, subject=engine.Subject.of(incident), actor=actor, check=refuse
    )


def types(request: Any) -> list[str]:
    return list(
        BypassEvent.objects.filter(request=request).order_by("seq").values_list("type", flat=True)
    )


@pytest.fixture
def used(analyst: Any, incident: Any, owners: list[Any]) -> Any:
    req = file(analyst, incident)
    services.bypass_approve(request=req, actor=owners[0], comment="Fine")
    assert use(incident, analyst).bypassed
    req.refresh_from_db()
    assert req.state == State.CONSUMED
    return req


def test_a_used_bypass_closes_only_after_its_review(
    analyst, used, owners, django_capture_on_commit_callbacks
):
    with pytest.raises(GuardFailed) as caught:
        services.bypass_close(request=used, actor=analyst)
    assert caught.value.message == (
        f"{used.ref} was used: it closes when its review after use is written."
    )
    assert services.bypass_sweep()["to_review"] == 1
    used.refresh_from_db()
    assert used.state == State.UNDER_REVIEW and used.review_due_at is not None
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    signals.request_reviewed.connect(receiver)
    try:
        with pytest.raises(ValidationFailed):
            services.bypass_review(request=used, actor=analyst, outcome="great", misfit="x")
        with django_capture_on_commit_callbacks(execute=True):
            review = services.bypass_review(
                request=used,
                actor=analyst,
                outcome="worked",
                misfit="One reporter speaks for the whole floor.",
                proposal="Let the desk confirm for a floor-wide outage.",
                links="INC-000001",
            )
    finally:
        signals.request_reviewed.disconnect(receiver)
    used.refresh_from_db()
    assert used.state == State.CLOSED and review.links == ["INC-000001"]
    assert [{k: v for k, v in r.items() if k != "signal"} for r in received] == [
        {
            "request_id": used.pk,
            "reviewer_id": analyst.pk,
            "outcome": "worked",
            "misfit": "One reporter speaks for the whole floor.",
            "proposal": "Let the desk confirm for a floor-wide outage.",
        }
    ]
    assert types(used)[-3:] == ["bypass.review_opened", "bypass.reviewed", "bypass.closed"]
    assert ledger.verify().ok


def test_review_refused_for_strangers_and_when_nothing_was_used(
    analyst, incident, owners, other_requester, used
):
    with pytest.raises(PermissionDenied):
        services.bypass_review(
            request=used, actor=other_requester, outcome="worked", misfit="Not mine."
        )
    unused = file(analyst, incident)
    with pytest.raises(GuardFailed) as caught:
        services.bypass_review(request=unused, actor=analyst, outcome="worked", misfit="x")
    assert caught.value.message == (
        f"{unused.ref} is in review; only a used bypass that has ended is reviewed."
    )


def test_overdue_reviews_are_chased_once_a_day(analyst, used):
    services.bypass_sweep()
    used.refresh_from_db()
    due = used.review_due_at
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        assert services.bypass_sweep()["review_reminded"] == 1
        assert services.bypass_sweep()["review_reminded"] == 0
    with time_machine.travel(due + timedelta(days=1, hours=2), tick=False):
        assert services.bypass_sweep()["review_reminded"] == 1
    event = BypassEvent.objects.filter(request=used, type="bypass.review_reminded").last()
    used.refresh_from_db()
    messages = notifications.messages_for(event, {})
    assert [(m.recipient.pk, m.kind, m.title) for m in messages] == [
        (analyst.pk, "bypass_review", f"Overdue: your review of {used.ref}")
    ]


# --- standard bypasses ------------------------------------------------------------------------
@pytest.fixture
def tier3(db: Any) -> Any:
    return BusinessServiceFactory(slug="kiosk", name="Kiosk", tier=3)


@pytest.fixture
def rule(owners: list[Any], in_group: Any) -> StandardBypass:
    from org.choices import Role

    in_group(owners[0], Role.PROCESS_OWNER)
    return services.bypass_standard_create(
        actor=owners[0],
        title="Kiosk outages: the desk confirms closure",
        gate_id=CLOSURE,
        treatment="skip",
        reason_category="service_restoration",
        service_tier=3,
        subject_type="incidents.incident",
        max_duration_hours=8,
        degrade_percent=50,
        degrade_min_reviews=2,
    )


def kiosk_incident(requester: Any, service: Any) -> Any:
    return make_incident(requester, service=service, title="Kiosk down")


def test_only_process_owners_create_standard_bypasses(analyst):
    with pytest.raises(PermissionDenied) as caught:
        services.bypass_standard_create(actor=analyst, title="x", gate_id=CLOSURE)
    assert caught.value.message == "Only a process owner may manage standard bypasses."


def test_a_standard_bypass_pre_approves_only_what_matches(analyst, requester, tier3, rule):
    inc = kiosk_incident(requester, tier3)
    req = file(analyst, inc, valid_until=clock.now() + timedelta(hours=4))
    assert req.state == State.ACTIVE and req.standard_id == rule.pk
    approved = BypassEvent.objects.get(request=req, type="bypass.approved")
    assert f'"by_rule":{rule.pk}' in approved.body and approved.actor_id == analyst.pk
    # another reason, a longer validity, another tier: the normal path
    other = file(analyst, inc, reason_category="business_deadline")
    longer = file(analyst, inc, valid_until=clock.now() + timedelta(hours=12))
    plain = file(analyst, make_incident(requester, title="Printer"))
    assert {other.state, longer.state, plain.state} == {State.IN_REVIEW}
    assert not any(r.standard_id for r in (other, longer, plain))
    created = BypassEvent.objects.get(type="bypass.standard_created")
    assert f'"standard":{rule.pk}' in created.body
    assert ledger.verify().ok


def test_demoted_when_outcomes_degrade(analyst, requester, tier3, rule):
    outcomes = ["worked", "failed"]
    for outcome in outcomes:
        inc = kiosk_incident(requester, tier3)
        req = file(analyst, inc, valid_until=clock.now() + timedelta(hours=4))
        assert req.standard_id == rule.pk
        assert use(inc, analyst).bypassed
        services.bypass_sweep()
        services.bypass_review(
            request=req, actor=analyst, outcome=outcome, misfit="The kiosk has no requester."
        )
    rule.refresh_from_db()
    assert not rule.is_active and rule.demoted_reason == (
        "1 of 2 reviewed uses degraded, failed or caused an incident (threshold 50%)."
    )
    demoted = BypassEvent.objects.get(type="bypass.standard_demoted")
    assert '"bad":1' in demoted.body and '"reviews":2' in demoted.body
    after = file(analyst, kiosk_incident(requester, tier3))
    assert after.state == State.IN_REVIEW and after.standard_id is None
    assert ledger.verify().ok


def test_periodic_review_is_logged(owners, rule):
    with time_machine.travel(rule.next_review_at + timedelta(days=1), tick=False):
        kept = services.bypass_standard_review(
            standard=rule, actor=owners[0], keep=True, note="Still fits."
        )
        assert kept.next_review_at > clock.now()
    retired = services.bypass_standard_review(
        standard=rule, actor=owners[0], keep=False, note="Kiosks now have a requester."
    )
    assert not retired.is_active
    kinds = list(
        BypassEvent.objects.filter(type="bypass.standard_reviewed").values_list("body", flat=True)
    )
    assert len(kinds) == 2 and '"keep":true' in kinds[0] and '"keep":false' in kinds[1]


def test_a_bypass_under_review_still_counts_as_recurrence(analyst, incident, owners, used):
    services.bypass_sweep()
    used.refresh_from_db()
    assert used.state == State.UNDER_REVIEW
    again = file(analyst, incident)
    assert again.risk_inputs["recurrence"]["beneficiary"] == 1
