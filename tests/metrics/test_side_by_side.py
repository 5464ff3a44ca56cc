"""Side by side per service: compliance next to restore and satisfaction, and the marker."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from metrics.filtersets import make_filters
from metrics.models import MetricsSettings
from metrics.side_by_side import Thresholds, side_by_side, verdict

from .builders import incident, rating, sla

pytestmark = pytest.mark.django_db

WEEK = {"start_date": date(2026, 3, 2), "end_date": date(2026, 3, 8)}
T = Thresholds(
    sla_green_from=0.9, satisfied_poor_below=0.7, satisfied_good_from=0.85, restore_poor_hours=24
)


def rate(n: int, d: int) -> dict[str, Any]:
    return {"numerator": n, "denominator": d, "value": n / d if d else None, "too_few_cases": d < 5}


def dist(p50: float | None, cases: int = 5) -> dict[str, Any]:
    return {"cases": cases, "p50_hours": p50, "p90_hours": p50, "too_few_cases": cases < 5}


@pytest.mark.parametrize(
    ("compliance", "restore", "satisfied", "marker"),
    [
        (rate(5, 5), dist(2), rate(1, 5), "sla_green_outcomes_poor"),  # 20% satisfied
        (rate(9, 10), dist(30), rate(5, 5), "sla_green_outcomes_poor"),  # 30 h > 24 h
        (rate(2, 5), dist(3), rate(5, 5), "sla_red_outcomes_good"),
        (rate(2, 5), dist(3), rate(4, 5), "consistent"),  # 80% is neither poor nor good
        (rate(5, 5), dist(3), rate(5, 5), "consistent"),
        (rate(4, 4), dist(3), rate(0, 5), "too_few_cases"),  # 4 SLA cases judge nothing
        (rate(5, 5), dist(40, cases=2), rate(0, 3), "too_few_cases"),
        (rate(5, 5), dist(40, cases=2), rate(0, 5), "sla_green_outcomes_poor"),
    ],
)
def test_verdict(compliance: Any, restore: Any, satisfied: Any, marker: str) -> None:
    assert verdict(compliance, restore, satisfied, T)[0] == marker


def test_verdict_explains_itself() -> None:
    assert verdict(rate(9, 10), dist(30), rate(1, 5), T) == (
        "sla_green_outcomes_poor",
        ["satisfied 20% < 70%", "median restore 30 h > 24 h"],
    )
    assert verdict(rate(2, 5), dist(3), rate(5, 5), T)[1] == [
        "compliance 40% < 90%",
        "satisfied 100% ≥ 85%",
    ]


def build(requester: Any, service: Any, other_service: Any) -> None:
    """Payroll: 5 resolutions, all within target, 2 h each, rated 1 2 2 5 5 (40% satisfied).
    VPN: 5 resolutions, 1 within target, 3 h each, rated 5 5 5 4 5 (100%)."""
    for i, stars in enumerate((1, 2, 2, 5, 5)):
        row = incident(
            requester, created=f"2026-03-0{2 + i} 08:00", resolved=f"2026-03-0{2 + i} 10:00",
            service=service,
        )  # fmt: skip
        sla(row, resolution_target=8, resolution_elapsed=2)
        rating(row, stars, f"2026-03-0{2 + i} 11:00")
    for i, stars in enumerate((5, 5, 5, 4, 5)):
        row = incident(
            requester, created=f"2026-03-0{2 + i} 08:00", resolved=f"2026-03-0{2 + i} 11:00",
            service=other_service,
        )  # fmt: skip
        sla(
            row, resolution_target=1, resolution_elapsed=3,
            resolution_breached_at=None if i == 0 else f"2026-03-0{2 + i} 09:00",
        )  # fmt: skip
        rating(row, stars, f"2026-03-0{2 + i} 12:00")


def test_side_by_side_per_service(requester: Any, service: Any, other_service: Any) -> None:
    build(requester, service, other_service)
    data = side_by_side(filters=make_filters(**WEEK), source="live")
    assert data["thresholds"] == {
        "sla_green_from": 0.9,
        "satisfied_poor_below": 0.7,
        "satisfied_good_from": 0.85,
        "restore_poor_hours": 24.0,
    }
    payroll, vpn = data["services"]
    assert payroll["service"] == "Payroll" and vpn["service"] == "VPN"
    assert payroll["sla_compliance"] == {
        "numerator": 5, "denominator": 5, "value": 1.0, "too_few_cases": False
    }  # fmt: skip
    assert payroll["time_to_restore"]["p50_hours"] == 2.0
    assert payroll["satisfied"]["numerator"] == 2 and payroll["satisfied"]["value"] == 0.4
    assert payroll["average_rating"] == 3.0
    assert payroll["marker"] == "sla_green_outcomes_poor"
    assert payroll["marker_label"] == "SLA green, outcomes poor"
    assert payroll["reasons"] == ["satisfied 40% < 70%"]
    assert vpn["sla_compliance"]["value"] == 0.2
    assert vpn["marker"] == "sla_red_outcomes_good"
    # the thresholds are data: with SLA green from 20%, VPN's SLA and outcomes agree
    MetricsSettings.objects.create(sla_green_from=Decimal("0.2"))
    again = side_by_side(filters=make_filters(**WEEK), source="live")
    assert again["services"][1]["marker"] == "consistent"


def test_side_by_side_no_data(db: Any) -> None:
    assert side_by_side(filters=make_filters(**WEEK), source="live")["services"] == []


def test_side_by_side_rollup_equals_live(requester: Any, service: Any, other_service: Any) -> None:
    from metrics import services

    build(requester, service, other_service)
    services.rollup_sweep(limit=100)
    live = side_by_side(filters=make_filters(**WEEK), source="live")
    rollup = side_by_side(filters=make_filters(**WEEK), source="rollup")
    assert live["services"] == rollup["services"]


def test_side_by_side_csv_shows_counts_and_the_marker_in_words(
    requester: Any, service: Any, other_service: Any, client: Any, manager: Any
) -> None:
    import csv
    import io

    build(requester, service, other_service)
    client.force_login(manager)
    body = client.get("/metrics/export/side-by-side.csv?start=2026-03-02&end=2026-03-08&tz=UTC")
    rows = list(csv.reader(io.StringIO(body.content.decode())))
    assert rows[2] == [
        "Payroll", "100.0%", "5", "5", "2.0", "5", "40.0%", "2", "5", "3.0",
        "SLA green, outcomes poor", "satisfied 40% < 70%", "",
    ]  # fmt: skip
    assert rows[3] == [
        "VPN", "20.0%", "1", "5", "3.0", "5", "100.0%", "5", "5", "4.8",
        "SLA red, outcomes good", "compliance 20% < 90%; satisfied 100% ≥ 85%", "",
    ]  # fmt: skip
