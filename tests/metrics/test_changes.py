"""Change outcomes (DORA) on hand-built changes; expected values worked out here."""

from datetime import date
from typing import Any

import pytest

from changes.models import ChangeAuthority, ChangeIncidentLink, ChangeTemplate
from metrics import change_outcomes
from metrics.filtersets import make_filters

from .builders import change, change_event, incident

pytestmark = pytest.mark.django_db


def figures(**kwargs: Any) -> dict[str, Any]:
    return change_outcomes.changes(
        filters=make_filters(start_date=date(2026, 3, 1), end_date=date(2026, 3, 28), **kwargs)
    )


def test_no_changes(requester: Any) -> None:
    data = figures()
    assert data["change_failure_rate"] == {
        "numerator": 0,
        "denominator": 0,
        "value": None,
        "too_few_cases": True,
    }
    assert data["deployment_frequency"]["deployments"] == 0
    assert data["deployment_frequency"]["per_week"] == 0.0
    assert data["lead_time"]["p50_hours"] is None
    assert data["authorisation_latency"] == []
    assert data["templates"] == []


@pytest.fixture
def march(requester: Any, analyst: Any, service: Any, team: Any) -> dict[str, Any]:
    template = ChangeTemplate.objects.create(
        title="Restart", procedure="Restart it.", owner=analyst, status="active"
    )
    rows = {
        # lead time 24 h, successful
        "ok": change(
            requester,
            submitted_at="2026-03-02 09:00",
            ended_at="2026-03-03 09:00",
            outcome="successful",
            services=[service],
            owner_team=team,
        ),
        # lead time 48 h, failed, restored 2 h after it ended
        "failed": change(
            requester,
            submitted_at="2026-03-02 09:00",
            ended_at="2026-03-04 09:00",
            restored_at="2026-03-04 11:00",
            outcome="failed",
            services=[service],
        ),
        # lead time 72 h, backed out, restored after 6 h
        "backed_out": change(
            requester,
            submitted_at="2026-03-02 09:00",
            ended_at="2026-03-05 09:00",
            restored_at="2026-03-05 15:00",
            outcome="backed_out",
        ),
        # standard change, lead time 1 h, successful but caused an incident: a failure
        "caused": change(
            requester,
            type="standard",
            template=template,
            submitted_at="2026-03-10 08:00",
            ended_at="2026-03-10 09:00",
            outcome="successful",
        ),
        # standard, lead time 2 h, fine
        "standard": change(
            requester,
            type="standard",
            template=template,
            submitted_at="2026-03-11 08:00",
            ended_at="2026-03-11 10:00",
            outcome="successful",
        ),
        # not implemented yet / outside the period: not counted
        "draft": change(requester),
        "february": change(
            requester,
            submitted_at="2026-02-01 09:00",
            ended_at="2026-02-02 09:00",
            outcome="failed",
        ),
    }
    broken = incident(requester, created="2026-03-10 10:00")
    ChangeIncidentLink.objects.create(change=rows["caused"], incident=broken, linked_by=analyst)
    return rows


def test_dora_figures(march: dict[str, Any]) -> None:
    data = figures()
    # failed: "failed", "backed_out" and "caused" (an incident) of 5 implemented
    assert data["change_failure_rate"] == {
        "numerator": 3,
        "denominator": 5,
        "value": 0.6,
        "too_few_cases": False,
    }
    assert data["failures"] == {
        "failed": 1,
        "backed_out": 1,
        "caused_incident": 1,
        "not_restored": 1,  # "caused" has no restored_at
    }
    # restored after 2 h and 6 h → median 4, p90 2 + 0.9 x 4 = 5.6
    assert data["time_to_restore"] == {
        "cases": 2,
        "p50_hours": 4.0,
        "p90_hours": 5.6,
        "too_few_cases": True,
    }
    # lead times 24, 48, 72, 1, 2 → sorted 1, 2, 24, 48, 72: median 24;
    # p90: rank 1 + 0.9 x 4 = 4.6 → 48 + 0.6 x 24 = 62.4
    assert data["lead_time"]["p50_hours"] == 24.0
    assert data["lead_time"]["p90_hours"] == 62.4
    # 5 deployments in 28 days: 0.179 a day, 1.25 a week
    assert data["deployment_frequency"] == {
        "deployments": 5,
        "days": 28,
        "per_day": 0.179,
        "per_week": 1.25,
        "too_few_cases": False,
    }
    assert data["standard_share"]["numerator"] == 2
    (template,) = data["templates"]
    # 1 of 2 failed: 50% above the 20% threshold, but 2 < 5 cases: not flagged yet
    assert template["failure_rate"]["numerator"] == 1
    assert template["failure_rate"]["denominator"] == 2
    assert template["above_threshold"] is False


def test_changes_filter_by_service_and_team(march: dict[str, Any], service: Any, team: Any) -> None:
    assert figures(service_id=service.pk)["change_failure_rate"]["denominator"] == 2
    assert figures(team_id=team.pk)["change_failure_rate"]["denominator"] == 1
    assert figures(priority=1)["not_applicable"] == ["priority"]


def test_authorisation_latency_per_authority(requester: Any, analyst: Any) -> None:
    peer = ChangeAuthority.objects.get(slug="peer-review")
    cab = ChangeAuthority.objects.get(slug="cab")
    two_stage = change(requester, submitted_at="2026-03-02 09:00")
    change_event(two_stage, "change.assessed", "2026-03-02 09:00", analyst)
    # peer review settles after 3 h
    change_event(
        two_stage,
        "change.approved_by",
        "2026-03-02 12:00",
        analyst,
        authority_id=peer.pk,
        quorum="approved",
    )
    change_event(two_stage, "change.stage_approved", "2026-03-02 12:00", analyst)
    # CAB: a first vote leaves it pending, the second settles it 10 h after the stage opened
    change_event(
        two_stage,
        "change.approved_by",
        "2026-03-02 15:00",
        analyst,
        authority_id=cab.pk,
        quorum="pending",
    )
    change_event(
        two_stage,
        "change.approved_by",
        "2026-03-02 22:00",
        analyst,
        authority_id=cab.pk,
        quorum="approved",
    )
    rejected = change(requester, submitted_at="2026-03-03 09:00")
    change_event(rejected, "change.assessed", "2026-03-03 09:00", analyst)
    # peer review rejects after 1 h
    change_event(
        rejected,
        "change.rejected_by",
        "2026-03-03 10:00",
        analyst,
        authority_id=peer.pk,
        quorum="rejected",
    )
    rows = {r["authority"]: r for r in figures()["authorisation_latency"]}
    assert rows["Peer review"]["cases"] == 2
    assert rows["Peer review"]["p50_hours"] == 2.0  # (3 + 1) / 2
    assert rows["CAB"]["cases"] == 1
    assert rows["CAB"]["p50_hours"] == 10.0
