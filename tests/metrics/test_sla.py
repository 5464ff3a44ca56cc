"""SLA figures on hand-built incidents and SLA states; every expected value is worked out here.

The week is Monday 2 to Sunday 8 March 2026. Policies: P1 answers in 1 h and resolves in 4 h,
P3 answers in 4 h and resolves in 24 h (P2 and P4 have no policy)."""

from datetime import date, timedelta
from typing import Any

import pytest

from incidents.models import SlaPolicy
from metrics import services
from metrics import sla as sla_metrics
from metrics.filtersets import make_filters

from .builders import incident, pause, sla

pytestmark = pytest.mark.django_db

WEEK = {"start_date": date(2026, 3, 2), "end_date": date(2026, 3, 8)}


def figures(source: str = "live", **kwargs: Any) -> dict[str, Any]:
    return sla_metrics.sla(filters=make_filters(**{**WEEK, **kwargs}), source=source)


def r(numerator: int, denominator: int, value: float | None, few: bool = True) -> dict[str, Any]:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "too_few_cases": few,
    }


def test_no_data(db: Any) -> None:
    data = figures()
    assert data["published"] == "matrix"
    for basis in ("matrix", "effective"):
        assert data[basis]["first_response"] == r(0, 0, None)
        assert data[basis]["resolution"] == r(0, 0, None)
        assert data[basis]["by_priority"] == []
        assert data[basis]["by_team_and_priority"] == []
    assert data["time_to_acknowledge"]["wall_clock"]["p50_hours"] is None
    assert data["paused"]["incidents_paused"] == r(0, 0, None)
    assert data["paused"]["total_hours"] == 0
    assert data["trend"] == []


@pytest.fixture
def week(requester: Any, team: Any, service: Any) -> dict[str, Any]:
    SlaPolicy.objects.create(
        name="P1", position=1, priorities=[1], response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=4),
    )  # fmt: skip
    SlaPolicy.objects.create(
        name="P3", position=2, priorities=[3], response_target=timedelta(hours=4),
        resolution_target=timedelta(hours=24),
    )  # fmt: skip
    common = {"service": service, "team": team}
    p3 = {"response_target": 4, "resolution_target": 24}
    rows: dict[str, Any] = {}
    # a: P3, answered in 1 h, resolved in 10 h: both met
    rows["a"] = incident(
        requester, created="2026-03-02 10:00", resolved="2026-03-02 20:00",
        first_response_at="2026-03-02 11:00", matrix_priority=3, **common,
    )  # fmt: skip
    sla(rows["a"], response_elapsed=1, resolution_elapsed=10, stopped_at="2026-03-02 20:00", **p3)
    # b: P3, answered after 6 h (response breached), resolved in 24 h (met exactly)
    rows["b"] = incident(
        requester, created="2026-03-03 09:00", resolved="2026-03-04 09:00",
        first_response_at="2026-03-03 15:00", matrix_priority=3, **common,
    )  # fmt: skip
    sla(
        rows["b"], response_elapsed=6, resolution_elapsed=24,
        response_breached_at="2026-03-03 15:00", **p3,
    )  # fmt: skip
    # c: the matrix says P1, a bypass made it P3: met on P3, but 6 h misses P1's 4 h
    rows["c"] = incident(
        requester, created="2026-03-04 10:00", resolved="2026-03-04 16:00",
        first_response_at="2026-03-04 10:30", priority=3, matrix_priority=1,
        priority_source="BYP-000001", **common,
    )  # fmt: skip
    sla(rows["c"], response_elapsed=0.5, resolution_elapsed=6, **p3)
    # d: P3, paused 4 h on the requester, breached, reopened (fresh resolution clock of 2 h)
    rows["d"] = incident(
        requester, created="2026-03-05 08:00", resolved="2026-03-06 10:00",
        first_response_at="2026-03-05 09:00", matrix_priority=3, reopened_count=1, **common,
    )  # fmt: skip
    pause(rows["d"], "requester", "2026-03-05 10:00", "2026-03-05 14:00")
    sla(
        rows["d"], response_elapsed=1, resolution_elapsed=2, started_at="2026-03-06 08:00",
        resolution_breached_at="2026-03-05 16:00", **p3,
    )  # fmt: skip
    # e: still open, never answered: no clock settled
    rows["e"] = incident(requester, created="2026-03-08 08:00", matrix_priority=3, **common)
    sla(rows["e"], **p3)
    # f: P2 with no policy and no SLA row, no team: not judged, but acknowledged in 0.5 h
    rows["f"] = incident(
        requester, created="2026-03-02 08:00", resolved="2026-03-02 09:00",
        first_response_at="2026-03-02 08:30", priority=2, matrix_priority=2, service=service,
    )  # fmt: skip
    # g: P4, resolved Sunday 1 March 23:30 UTC — Monday 00:30 in Berlin
    rows["g"] = incident(
        requester, created="2026-03-01 20:00", resolved="2026-03-01 23:30",
        first_response_at="2026-03-01 20:30", priority=4, matrix_priority=4, **common,
    )  # fmt: skip
    sla(rows["g"], response_target=8, resolution_target=48, response_elapsed=0.5,
        resolution_elapsed=3.5)  # fmt: skip
    return rows


def test_compliance_on_matrix_and_effective_priority(week: dict[str, Any], team: Any) -> None:
    data = figures()
    matrix, effective = data["matrix"], data["effective"]
    # answered in the week and judged: a (met), b (missed), c (0.5 h ≤ 1 h: met), d (met);
    # f has no SLA and is not judged
    assert matrix["first_response"] == r(3, 4, 0.75)
    assert effective["first_response"] == r(3, 4, 0.75)
    # resolved: a met, b met (24 h of 24 h), c met on P3 / missed on P1, d breached before
    # its reopen (a breach is never undone)
    assert matrix["resolution"] == r(2, 4, 0.5)
    assert effective["resolution"] == r(3, 4, 0.75)
    assert (matrix["response_breaches"], matrix["resolution_breaches"]) == (1, 2)
    assert (effective["response_breaches"], effective["resolution_breaches"]) == (1, 1)
    assert [(p["priority"], p["resolution"]["numerator"], p["resolution"]["denominator"])
            for p in matrix["by_priority"]] == [(1, 0, 1), (2, 0, 0), (3, 2, 3)]  # fmt: skip
    assert [(p["priority"], p["resolution"]["numerator"], p["resolution"]["denominator"])
            for p in effective["by_priority"]] == [(2, 0, 0), (3, 3, 4)]  # fmt: skip
    by_team = {(g["team"], g["priority"]): g for g in matrix["by_team_and_priority"]}
    assert set(by_team) == {(team.name, 1), (team.name, 3), ("No team", 2)}
    assert by_team[(team.name, 3)]["first_response"] == r(2, 3, 0.6667)
    assert by_team[(team.name, 3)]["resolution_breaches"] == 1
    assert by_team[(team.name, 1)]["resolution_breaches"] == 1
    assert data["bypassed"] == {
        "resolved": 1,
        "met_on_effective": 1,
        "met_on_matrix": 0,
        "not_judged_on_matrix": 0,
    }


def test_acknowledge_and_paused_time(week: dict[str, Any]) -> None:
    data = figures()
    ack = data["time_to_acknowledge"]
    # wall clock: a 1, b 6, c 0.5, d 1, f 0.5 → sorted 0.5 0.5 1 1 6: median 1;
    # p90 at rank 3.6: 1 + 0.6 x 5 = 4
    assert ack["wall_clock"] == {
        "cases": 5, "p50_hours": 1.0, "p90_hours": 4.0, "too_few_cases": False
    }  # fmt: skip
    # business (the SLA clock, pauses left out; f has no clock): 0.5 1 1 6 → median 1;
    # p90 at rank 2.7: 1 + 0.7 x 5 = 4.5
    assert ack["business"] == {
        "cases": 4, "p50_hours": 1.0, "p90_hours": 4.5, "too_few_cases": True
    }  # fmt: skip
    paused = data["paused"]
    # of the 5 resolved in the week (a b c d f), d was paused 4 h on the requester
    assert paused["incidents_paused"] == r(1, 5, 0.2, few=False)
    assert paused["total_hours"] == 4.0
    assert paused["per_paused_incident"]["p50_hours"] == 4.0
    assert paused["by_cause"] == [
        {"cause": "requester", "hours": 4.0},
        {"cause": "vendor", "hours": 0.0},
        {"cause": "change", "hours": 0.0},
        {"cause": "other", "hours": 0.0},
    ]


def test_period_boundary_in_another_time_zone(week: dict[str, Any]) -> None:
    # in Berlin the week starts at 23:00 UTC on Sunday 1 March: g's resolution is inside,
    # its first response (21:30 Sunday, local) is not
    data = figures(tz="Europe/Berlin")
    assert data["matrix"]["resolution"] == r(3, 5, 0.6, few=False)
    assert data["matrix"]["first_response"] == r(3, 4, 0.75)
    assert figures(tz="UTC")["matrix"]["resolution"]["denominator"] == 4


def test_priority_filter_applies_to_each_basis_own_priority(week: dict[str, Any]) -> None:
    data = figures(priority=1)
    assert data["matrix"]["resolution"] == r(0, 1, 0.0)
    assert data["effective"]["resolution"] == r(0, 0, None)


def test_trend_by_week(week: dict[str, Any]) -> None:
    data = figures()
    assert data["trend"] == [
        {
            "bucket": "2026-03-02",
            "resolution": r(2, 4, 0.5),
            "resolution_effective": r(3, 4, 0.75),
        }
    ]


def test_rollup_gives_the_same_sla_figures(week: dict[str, Any]) -> None:
    services.rollup_sweep(limit=100)
    for tz in ("UTC", "Europe/Berlin", "America/Los_Angeles"):
        live, rollup = figures("live", tz=tz), figures("rollup", tz=tz)
        assert rollup["source"] == "rollup"
        for key in ("matrix", "effective", "bypassed", "time_to_acknowledge", "paused", "trend"):
            assert live[key] == rollup[key], (tz, key)
    for priority in (1, 2, 3, 4):
        live, rollup = figures("live", priority=priority), figures("rollup", priority=priority)
        for key in ("matrix", "effective", "bypassed", "time_to_acknowledge", "paused"):
            assert live[key] == rollup[key], (priority, key)


def test_one_pass_for_both_bases(week: dict[str, Any], django_assert_num_queries: Any) -> None:
    """Settings, the grouped pass (both bases, the additive figures and the trend), the team
    names, the distributions and the rollups' as-of: five queries whatever the data."""
    services.rollup_sweep(limit=100)
    filters = make_filters(start_date=date(2026, 3, 2), end_date=date(2026, 3, 8))
    with django_assert_num_queries(5):
        data = sla_metrics.sla(filters=filters, source="rollup")
    assert data["matrix"]["by_team_and_priority"]
