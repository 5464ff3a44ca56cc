"""Customer outcomes on hand-built incidents; every expected value is worked out here."""

from datetime import date, time
from typing import Any

import pytest
import time_machine

from metrics import selectors
from metrics import services as metrics_services
from metrics.filtersets import make_filters
from metrics.models import MetricsSettings
from org.models import Holiday, WorkingHours

from ..org.factories import BusinessCalendarFactory, BusinessServiceFactory
from .builders import at, event, incident, pause, rating, sla

pytestmark = pytest.mark.django_db

WEEK = {"start_date": date(2026, 3, 2), "end_date": date(2026, 3, 8)}  # Monday to Sunday


def outcomes(source: str = "live", **kwargs: Any) -> dict[str, Any]:
    if source == "rollup":
        metrics_services.rollup_rebuild_all()
    data = selectors.outcomes(filters=make_filters(**{**WEEK, **kwargs}), source=source)
    assert data["source"] == source
    return data


def test_no_data_gives_empty_figures_not_errors(requester: Any) -> None:
    data = outcomes()
    assert data["time_to_restore"]["wall_clock"] == {
        "cases": 0,
        "p50_hours": None,
        "p90_hours": None,
        "too_few_cases": True,
    }
    assert data["first_contact_resolution"] == {
        "numerator": 0,
        "denominator": 0,
        "value": None,
        "too_few_cases": True,
    }
    assert data["satisfaction"]["average"] is None
    assert data["backlog"]["open"] == 0
    assert data["repeat_incidents"] == []
    assert data["trend"] == []
    assert data["user_impact_hours"]["value"] == 0


@pytest.fixture
def week(requester: Any, analyst: Any, team: Any, service: Any) -> dict[str, Any]:
    """Four restorations in the week, one open, one cancelled, one resolved the week before."""
    common = {"service": service, "team": team, "actor": analyst}
    rows = {
        # 2 h, assigned once: first contact
        "quick": incident(
            requester, created="2026-03-02 10:00", resolved="2026-03-02 12:00", **common
        ),
        # 24 h, reassigned: not first contact
        "reassigned": incident(
            requester,
            created="2026-03-02 10:00",
            resolved="2026-03-03 10:00",
            assignments=2,
            **common,
        ),
        # resolved after 1 h, reopened, resolved again on Wednesday: 24 h in all, a reopen
        "reopened": incident(
            requester,
            created="2026-03-03 09:00",
            resolved="2026-03-04 09:00",
            reopened_count=1,
            **common,
        ),
        # 4 h for 10 people: 40 user-impact hours, first contact
        "wide": incident(
            requester,
            created="2026-03-04 08:00",
            resolved="2026-03-04 12:00",
            affected_users=10,
            **common,
        ),
        "open": incident(requester, created="2026-03-05 08:00", **common),
        "cancelled": incident(requester, created="2026-03-05 09:00", status="cancelled", **common),
        "last_week": incident(
            requester, created="2026-02-25 08:00", resolved="2026-02-26 08:00", **common
        ),
    }
    event(rows["reopened"], "incident.resolved", "2026-03-03 10:00", analyst)
    event(rows["reopened"], "incident.reopened", "2026-03-03 11:00", requester)
    return rows


def test_time_to_restore_rates_and_impact(week: dict[str, Any]) -> None:
    with time_machine.travel(at("2026-03-09 08:00"), tick=False):
        data = outcomes()
    # restorations 2, 24, 24, 4 h → sorted 2, 4, 24, 24
    # median: halfway between 4 and 24 = 14; p90: rank 1 + 0.9 x 3 = 3.7 → 24 + 0.7 x 0 = 24
    assert data["time_to_restore"]["wall_clock"] == {
        "cases": 4,
        "p50_hours": 14.0,
        "p90_hours": 24.0,
        "too_few_cases": True,  # 4 < 5
    }
    # no calendar on the service or team: business time is wall-clock time
    assert data["time_to_restore"]["business"]["p50_hours"] == 14.0
    # first contact: "quick" and "wide" (one assignment, never reopened) of 4
    assert data["first_contact_resolution"] == {
        "numerator": 2,
        "denominator": 4,
        "value": 0.5,
        "too_few_cases": True,
    }
    # the reopened ticket counts once, at its final resolution
    assert data["reopen_rate"]["numerator"] == 1
    assert data["reopen_rate"]["denominator"] == 4
    # 1 x 2 + 1 x 24 + 1 x 24 + 10 x 4 = 90
    assert data["user_impact_hours"] == {"value": 90.0, "cases": 4, "too_few_cases": True}
    # one open incident, created 2026-03-05 08:00, aged 4 days at 2026-03-09 08:00
    assert data["backlog"]["open"] == 1
    assert data["backlog"]["age"]["p50_hours"] == 96.0
    assert {r["age"]: r["open"] for r in data["backlog"]["by_age"]}["3_to_7_days"] == 1


def test_minimum_cases_is_data(week: dict[str, Any]) -> None:
    MetricsSettings.objects.create(min_cases=4)
    data = outcomes()
    assert data["min_cases"] == 4
    assert data["time_to_restore"]["wall_clock"]["too_few_cases"] is False
    assert data["first_contact_resolution"]["too_few_cases"] is False


def test_filters_by_service_team_and_priority(
    week: dict[str, Any], requester: Any, other_service: Any, other_team: Any
) -> None:
    incident(
        requester,
        created="2026-03-02 10:00",
        resolved="2026-03-02 11:00",
        service=other_service,
        team=other_team,
        priority=1,
    )
    assert outcomes()["time_to_restore"]["wall_clock"]["cases"] == 5
    assert outcomes(service_id=other_service.pk)["time_to_restore"]["wall_clock"]["cases"] == 1
    assert outcomes(team_id=other_team.pk)["time_to_restore"]["wall_clock"]["p50_hours"] == 1.0
    assert outcomes(priority=3)["time_to_restore"]["wall_clock"]["cases"] == 4


def test_period_boundaries_follow_the_time_zone(requester: Any) -> None:
    # 23:30 UTC on 1 March is 00:30 on 2 March in Berlin (UTC+1 in March)
    incident(requester, created="2026-03-01 20:30", resolved="2026-03-01 23:30")
    # 23:30 UTC on 2 March is 00:30 on 3 March in Berlin
    incident(requester, created="2026-03-02 20:30", resolved="2026-03-02 23:30")
    day = {"start_date": date(2026, 3, 2), "end_date": date(2026, 3, 2)}
    utc = selectors.outcomes(filters=make_filters(**day, tz="UTC"), source="live")
    berlin = selectors.outcomes(filters=make_filters(**day, tz="Europe/Berlin"), source="live")
    tokyo = selectors.outcomes(filters=make_filters(**day, tz="Asia/Tokyo"), source="live")
    assert utc["time_to_restore"]["wall_clock"]["cases"] == 1  # only the second
    assert berlin["time_to_restore"]["wall_clock"]["cases"] == 1  # only the first
    # Tokyo's 2 March is 1 March 15:00 to 2 March 15:00 UTC: only the first
    assert tokyo["time_to_restore"]["wall_clock"]["cases"] == 1
    two_days = make_filters(
        start_date=date(2026, 3, 2), end_date=date(2026, 3, 3), tz="Europe/Berlin"
    )
    assert two_days.start == at("2026-03-01 23:00")
    assert two_days.end == at("2026-03-03 23:00")


def test_period_boundary_on_a_daylight_saving_day(requester: Any) -> None:
    # Berlin moves to summer time on Sunday 29 March 2026: that day is 23 hours long
    filters = make_filters(
        start_date=date(2026, 3, 29), end_date=date(2026, 3, 29), tz="Europe/Berlin"
    )
    assert filters.start == at("2026-03-28 23:00")
    assert filters.end == at("2026-03-29 22:00")


def test_business_time_uses_the_service_calendar(requester: Any, team: Any) -> None:
    calendar = BusinessCalendarFactory(time_zone="Europe/Berlin")
    for weekday in range(5):
        WorkingHours.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(17))
    Holiday.objects.create(calendar=calendar, date=date(2026, 3, 16), name="Closed")
    office = BusinessServiceFactory(slug="office", owner_team=team, calendar=calendar)
    # Fri 6 March 15:00 UTC (16:00 Berlin) → Mon 9 March 09:00 UTC (10:00 Berlin):
    # Friday 16-17 + Monday 9-10 = 2 business hours, 66 wall-clock hours
    incident(requester, created="2026-03-06 15:00", resolved="2026-03-09 09:00", service=office)
    # Fri 13 March 16:00 Berlin → Tue 17 March 10:00 Berlin, Monday a holiday: 1 + 1 = 2 h
    incident(requester, created="2026-03-13 15:00", resolved="2026-03-17 09:00", service=office)
    # Saturday to Sunday: no business time at all
    incident(requester, created="2026-03-07 10:00", resolved="2026-03-08 10:00", service=office)
    data = selectors.outcomes(
        filters=make_filters(start_date=date(2026, 3, 1), end_date=date(2026, 3, 31)),
        source="live",
    )
    business = data["time_to_restore"]["business"]
    # business hours 2, 2, 0 → median 2, p90: 2
    assert business["cases"] == 3
    assert business["p50_hours"] == 2.0
    assert business["p90_hours"] == 2.0
    # wall-clock 66, 90, 24 → median 66; p90: rank 1 + 0.9 x 2 = 2.8 → 66 + 0.8 x 24 = 85.2
    assert data["time_to_restore"]["wall_clock"]["p50_hours"] == 66.0
    assert data["time_to_restore"]["wall_clock"]["p90_hours"] == 85.2


@pytest.mark.parametrize("source", ["live", "rollup"])
def test_satisfaction(week: dict[str, Any], source: str) -> None:
    rating(week["quick"], 5, "2026-03-02 13:00", "Fast, thanks")
    rating(week["reassigned"], 2, "2026-03-03 12:00", "Passed around")
    rating(week["wide"], 4, "2026-03-04 13:00")
    rating(week["last_week"], 1, "2026-02-26 09:00", "Outside the period")
    sat = outcomes(source)["satisfaction"]
    assert sat["ratings"] == 3
    assert sat["average"] == 3.67  # (5 + 2 + 4) / 3
    assert sat["satisfied"] == {
        "numerator": 2,
        "denominator": 3,
        "value": 0.6667,
        "too_few_cases": True,
    }
    # resolutions in the period: 4 final ones + the reopened ticket's first = 5
    assert sat["response_rate"]["numerator"] == 3
    assert sat["response_rate"]["denominator"] == 5
    assert [c["comment"] for c in sat["latest_comments"]] == ["Passed around", "Fast, thanks"]


def test_repeat_incidents_per_service(requester: Any, other_requester: Any, service: Any) -> None:
    incident(requester, created="2026-02-10 10:00", service=service)  # before the period
    incident(requester, created="2026-03-02 10:00", service=service)  # 20 days later: repeat
    incident(requester, created="2026-03-04 10:00", service=service)  # repeat
    incident(other_requester, created="2026-03-04 11:00", service=service)  # first for them
    incident(requester, created="2026-01-01 10:00", service=service)  # too long before
    (row,) = outcomes()["repeat_incidents"]
    assert row["service"] == "Payroll"
    assert row["incidents"] == 3
    assert row["repeats"]["numerator"] == 2
    assert row["repeats"]["denominator"] == 3


@pytest.mark.parametrize("source", ["live", "rollup"])
def test_workarounds_reaching_people(
    requester: Any, analyst: Any, service: Any, source: str
) -> None:
    from incidents.models import Problem

    problem = Problem.objects.create(
        title="Payroll export hangs",
        created_by=analyst,
        workaround="Export in two halves",
        workaround_published_at=at("2026-03-03 09:00"),
    )
    problem.services.add(service)
    Problem.objects.create(
        title="Fixed one", created_by=analyst, resolved_at=at("2026-03-05 09:00")
    )
    first = incident(requester, created="2026-03-02 09:00", service=service, problem=problem)
    second = incident(requester, created="2026-03-03 08:00", service=service, problem=problem)
    event(first, "incident.workaround_published", "2026-03-03 09:00", analyst)  # 24 h
    event(first, "incident.workaround_published", "2026-03-04 09:00", analyst)  # sent again
    event(second, "incident.workaround_published", "2026-03-03 10:00", analyst)  # 2 h
    figures = outcomes(source)["problems"]
    assert figures["workaround_published"] == 1
    assert figures["fixed"] == 1
    assert figures["workaround_reach"]["cases"] == 2  # the first time each was reached
    assert figures["workaround_reach"]["p50_hours"] == 13.0  # (24 + 2) / 2
    assert outcomes(source, service_id=service.pk)["problems"]["fixed"] == 0
    assert outcomes(source, service_id=service.pk)["problems"]["workaround_reach"]["cases"] == 2
    assert outcomes(source, priority=1)["problems"]["workaround_reach"]["cases"] == 0


def test_merged_duplicates_and_cancelled_are_not_restorations(requester: Any) -> None:
    incident(requester, created="2026-03-02 10:00", resolved="2026-03-02 11:00")
    dup = incident(requester, created="2026-03-02 10:00", resolved="2026-03-02 12:00")
    dup.resolution_code = "duplicate"
    dup.save(update_fields=["resolution_code"])
    assert outcomes()["time_to_restore"]["wall_clock"]["cases"] == 1


def test_trend_by_week_in_the_time_zone(week: dict[str, Any]) -> None:
    data = outcomes(start_date=date(2026, 2, 23), end_date=date(2026, 3, 8))
    assert [(t["bucket"], t["resolved"]) for t in data["trend"]] == [
        ("2026-02-23", 1),
        ("2026-03-02", 4),
    ]
    assert data["trend"][1]["p50_hours"] == 14.0


def test_waiting_on_whom_comes_from_the_sla_pauses(requester: Any, analyst: Any) -> None:
    row = incident(requester, created="2026-03-02 10:00", resolved="2026-03-02 18:00")
    pause(row, "requester", "2026-03-02 11:00", "2026-03-02 13:00")
    # resolved straight from pending at 18:00: the open pause counts up to the resolution
    pause(row, "vendor", "2026-03-02 14:00")
    other = incident(requester, created="2026-03-03 10:00", resolved="2026-03-03 12:00")
    pause(other, "change", "2026-03-03 10:30", "2026-03-03 11:00")
    pause(other, "other", "2026-03-03 11:00", "2026-03-03 11:15")
    # a pause of an incident restored outside the period does not count
    late = incident(requester, created="2026-03-08 10:00", resolved="2026-03-09 12:00")
    pause(late, "requester", "2026-03-08 11:00", "2026-03-08 23:00")
    # status events alone are not pauses: only the SLA pause intervals count
    event(row, "incident.pended", "2026-03-02 16:00", analyst, "pending", pending_reason="change")
    waiting = outcomes()["waiting"]
    # 8 h + 2 h = 10 h: requester 2 h, vendor 4 h, change 0.5 h, other 0.25 h, IT 3.25 h
    assert waiting["total_hours"] == 10.0
    assert waiting["cases"] == 2
    assert waiting["by_cause"] == [
        {"cause": "requester", "hours": 2.0, "share": 0.2},
        {"cause": "vendor", "hours": 4.0, "share": 0.4},
        {"cause": "change", "hours": 0.5, "share": 0.05},
        {"cause": "other", "hours": 0.25, "share": 0.025},
        {"cause": "it", "hours": 3.25, "share": 0.325},
    ]


def test_business_time_uses_the_incidents_sla_calendar(requester: Any, service: Any) -> None:
    """The SLA calendar wins over the service's: 9-17 on weekdays in UTC."""
    calendar = BusinessCalendarFactory(time_zone="UTC")
    for weekday in range(5):
        WorkingHours.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(17))
    # Monday 16:00 to Tuesday 10:00: 1 h on Monday, 1 h on Tuesday = 2 business hours
    row = incident(
        requester, created="2026-03-02 16:00", resolved="2026-03-03 10:00", service=service
    )
    sla(row, calendar=calendar, resolution_target=8)
    restore = outcomes()["time_to_restore"]
    assert restore["wall_clock"]["p50_hours"] == 18.0
    assert restore["business"]["p50_hours"] == 2.0
