"""Rollups: rebuilt idempotently for any past day, and identical to the live figures."""

import random
from datetime import date, time, timedelta
from typing import Any

import pytest

from incidents.models import IncidentEvent, Satisfaction, SlaPolicy
from metrics import exceptions, selectors, services, tasks
from metrics import sla as sla_metrics
from metrics.filtersets import make_filters
from metrics.models import EventFact, IncidentFact, QueueJumpFact, RollupDay
from metrics.side_by_side import side_by_side
from org.models import Team, WorkingHours

from ..org.factories import (
    BusinessCalendarFactory,
    BusinessServiceFactory,
    TeamFactory,
    UserFactory,
)
from .builders import at, event, incident, pause, rating, sla

pytestmark = pytest.mark.django_db

START = at("2026-01-05 00:00")


@pytest.fixture
def generated(db: Any) -> int:
    """~150 incidents over 60 days: three services (one on a Tokyo business calendar), two
    teams, every priority, reopened, reassigned, still open, and repeat reporters."""
    rng = random.Random(14)
    calendar = BusinessCalendarFactory(time_zone="Asia/Tokyo")
    for weekday in range(5):
        WorkingHours.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(18))
    teams = [TeamFactory(slug="t1"), TeamFactory(slug="t2")]
    services_ = [
        BusinessServiceFactory(slug="s1", owner_team=teams[0], calendar=calendar),
        BusinessServiceFactory(slug="s2", owner_team=teams[1]),
        BusinessServiceFactory(slug="s3", owner_team=teams[0]),
    ]
    bands = ["staff", "staff", "staff", "manager", "senior", "executive", "executive", "staff"]
    people = [
        UserFactory(username=f"p{i}", seniority_band=band, is_vip=i in (5, 7))
        for i, band in enumerate(bands)
    ]
    count = 0
    for _ in range(150):
        created = START + timedelta(minutes=rng.randrange(60 * 24 * 60))
        resolved = (
            created + timedelta(minutes=rng.randrange(10, 60 * 24 * 9))
            if rng.random() < 0.85
            else None
        )
        matrix = rng.randint(1, 4)
        row = incident(
            rng.choice(people),
            created=created.strftime("%Y-%m-%d %H:%M"),
            resolved=resolved.strftime("%Y-%m-%d %H:%M") if resolved else None,
            service=rng.choice([*services_, None]),
            team=rng.choice(teams),
            priority=matrix if rng.random() < 0.8 else rng.randint(1, 4),
            matrix_priority=matrix,
            first_response_at=created + timedelta(minutes=rng.randrange(5, 600))
            if rng.random() < 0.9
            else None,
            affected_users=rng.choice([1, 1, 1, 5, 40]),
            reopened_count=1 if rng.random() < 0.15 else 0,
            assignments=rng.choice([0, 1, 1, 2]),
        )
        if rng.random() < 0.8:
            stopped = resolved.strftime("%Y-%m-%d %H:%M") if resolved else None
            sla(
                row,
                calendar=calendar if rng.random() < 0.3 else None,
                response_target=rng.choice([1, 4, 8]),
                resolution_target=rng.choice([4, 24, 72]),
                response_elapsed=rng.uniform(0, 10),
                resolution_elapsed=rng.uniform(0, 100),
                response_breached_at=stopped if rng.random() < 0.3 else None,
                resolution_breached_at=stopped if rng.random() < 0.3 else None,
            )
        if rng.random() < 0.3:
            begin = created + timedelta(minutes=rng.randrange(1, 120))
            end = begin + timedelta(minutes=rng.randrange(1, 600))
            pause(
                row,
                rng.choice(["requester", "vendor", "change", "other"]),
                begin.strftime("%Y-%m-%d %H:%M"),
                end.strftime("%Y-%m-%d %H:%M") if rng.random() < 0.8 else None,
            )
        if resolved and rng.random() < 0.3:
            stars = rng.randint(1, 5)
            rated = resolved + timedelta(hours=rng.randrange(1, 48))
            rating(row, stars, rated.strftime("%Y-%m-%d %H:%M"), rng.choice(["", "ok", "slow"]))
        if rng.random() < 0.1:
            for hours in sorted(rng.sample(range(1, 200), rng.choice([1, 2]))):
                when = created + timedelta(hours=hours)
                event(row, "incident.workaround_published", when.strftime("%Y-%m-%d %H:%M"),
                      people[1])  # fmt: skip
        if resolved and rng.random() < 0.05:
            row.resolution_code = "duplicate"
            row.save(update_fields=["resolution_code"])
        if rng.random() < 0.1:
            jump = created + timedelta(minutes=rng.randrange(1, 30))
            event(
                row,
                "incident.queue_jumped",
                jump.strftime("%Y-%m-%d %H:%M"),
                people[0],
                queue_rank=[0, 1],
            )
            row.queue_rank = 1
            row.save(update_fields=["queue_rank"])
        count += 1
    for priority, hours in ((1, 4), (3, 24)):
        SlaPolicy.objects.create(
            name=f"P{priority}",
            position=priority,
            priorities=[priority],
            response_target=timedelta(hours=1),
            resolution_target=timedelta(hours=hours),
        )
    return count


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("source", "as_of")}


def test_rollup_equals_live_on_generated_data(generated: int) -> None:
    days = services.rollup_sweep(limit=100)
    assert len(days) == len(set(days)) > 30
    assert IncidentFact.objects.count() == generated
    service_id = selectors.BusinessService.objects.get(slug="s1").pk
    team_id = Team.objects.get(slug="t2").pk
    cases = [
        {},
        {"tz": "Asia/Tokyo"},
        {"tz": "America/New_York", "bucket": "month"},
        {"service_id": service_id},
        {"priority": 2},
        {"team_id": team_id},
    ]
    for extra in cases:
        filters = make_filters(start_date=date(2026, 1, 10), end_date=date(2026, 2, 25), **extra)
        live = selectors.outcomes(filters=filters, source="live")
        rollup = selectors.outcomes(filters=filters, source="rollup")
        assert rollup["source"] == "rollup"
        assert comparable(live) == comparable(rollup), extra
        assert live["time_to_restore"]["wall_clock"]["cases"] > 0
        assert live["satisfaction"]["ratings"] > 0, extra
        assert live["problems"]["workaround_reach"]["cases"] > 0, extra
        live_sla = sla_metrics.sla(filters=filters, source="live")
        rollup_sla = sla_metrics.sla(filters=filters, source="rollup")
        assert comparable(live_sla) == comparable(rollup_sla), extra
        assert live_sla["matrix"]["resolution"]["denominator"] > 0
        assert live_sla["bypassed"]["resolved"] > 0
        live_side = side_by_side(filters=filters, source="live")
        assert comparable(live_side) == comparable(side_by_side(filters=filters, source="rollup"))
        live_fair = exceptions.fairness(filters=filters, source="live")
        rollup_fair = exceptions.fairness(filters=filters, source="rollup")
        assert comparable(live_fair) == comparable(rollup_fair), extra
        assert sum(g["queue_jumps"] for g in live_fair["groups"]) > 0, extra


def fact_rows() -> tuple[list[tuple[Any, ...]], ...]:
    facts = IncidentFact.objects.order_by("incident_id").values_list()
    jumps = QueueJumpFact.objects.order_by("event_id").values_list()
    events = EventFact.objects.order_by("kind", "source_id").values_list()
    return [r[1:] for r in facts], [r[1:] for r in jumps], [r[1:] for r in events]


def test_rebuild_all_at_once_equals_day_by_day(generated: int) -> None:
    services.rollup_sweep(limit=100)
    day_by_day = fact_rows()
    assert len(day_by_day[1]) > 5
    assert services.rollup_rebuild_all() == generated
    assert fact_rows() == day_by_day
    assert RollupDay.objects.count() == len({r[1] for r in day_by_day[0]})
    assert services.rollup_days_due() == []
    services.rollup_rebuild_all()  # idempotent
    assert fact_rows() == day_by_day


def test_rebuild_is_idempotent_for_any_past_day(generated: int) -> None:
    day = date(2026, 1, 20)
    first = services.rollup_rebuild_day(day=day)
    ids = set(IncidentFact.objects.filter(day=day).values_list("incident_id", flat=True))
    again = services.rollup_rebuild_day(day=day)
    assert first == again == len(ids) > 0
    assert set(IncidentFact.objects.filter(day=day).values_list("incident_id", flat=True)) == ids
    assert RollupDay.objects.get(day=day).incidents == first
    # a day with nothing is rebuilt to nothing, and remembered
    assert services.rollup_rebuild_day(day=date(2020, 1, 1)) == 0


def test_sweep_rebuilds_only_days_touched_since(generated: int, requester: Any) -> None:
    services.rollup_sweep(limit=100)
    assert services.rollup_days_due() == []
    row = incident(requester, created="2026-02-01 10:00")
    assert services.rollup_days_due() == [date(2026, 2, 1)]
    # a fact goes stale when its incident changes; the sweep brings it back in line
    row.resolved_at = at("2026-02-01 12:00")
    row.status = "resolved"
    row.save(update_fields=["resolved_at", "status", "updated_at"])
    assert tasks.metrics_rollup_sweep_task.apply().get() == ["2026-02-01"]
    assert services.rollup_days_due() == []
    fact = IncidentFact.objects.get(incident_id=row.pk)
    assert fact.wall_seconds == 2 * 3600
    # a rating or an event does not touch the incident row: it makes its day due all the same
    Satisfaction.objects.create(incident=row, resolution_number=1, rating=5, rated_by=requester)
    assert services.rollup_days_due() == [date(2026, 2, 1)]
    services.rollup_sweep()
    assert EventFact.objects.get(incident_id=row.pk, kind="rated").value == 5.0
    IncidentEvent.objects.create(
        incident=row, type="incident.workaround_published", actor=requester, actor_name="x"
    )
    assert services.rollup_days_due() == [date(2026, 2, 1)]


def test_a_sweep_cut_short_carries_on(generated: int) -> None:
    first = services.rollup_sweep(limit=10)
    assert len(first) == 10
    second = services.rollup_sweep(limit=10)
    assert len(second) == 10 and second[0] > first[-1]
    rest = services.rollup_sweep(limit=100)
    assert IncidentFact.objects.count() == generated
    assert rest and rest[0] > second[-1]
    assert services.rollup_days_due() == []


def test_rebuild_task_takes_a_day(generated: int) -> None:
    result = tasks.metrics_rollup_rebuild_task.apply(args=["2026-01-21"]).get()
    assert result["day"] == "2026-01-21"
    assert result["incidents"] == IncidentFact.objects.filter(day=date(2026, 1, 21)).count()


def test_auto_source_uses_rollups_once_built(generated: int) -> None:
    filters = make_filters(start_date=date(2026, 1, 10), end_date=date(2026, 1, 20))
    assert selectors.outcomes(filters=filters)["source"] == "live"
    services.rollup_sweep(limit=100)
    assert selectors.outcomes(filters=filters)["source"] == "rollup"


def test_rollup_command(generated: int) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("metrics_rollup", "--all", stdout=out)
    assert f"{generated} incident fact(s)" in out.getvalue()
    call_command("metrics_rollup", "--day", "2026-01-20", stdout=out)
    assert IncidentFact.objects.count() == generated
