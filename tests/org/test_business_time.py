"""org.business_time: worked examples (weekends, holidays, both DST changes, split shifts,
24 x 7, pauses over nights) and property tests against a slow minute-by-minute reference."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from org.business_time import CalendarSpec, due, elapsed
from org.models import BusinessCalendar, Holiday, WorkingHours

LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = {d: [(time(9), time(17))] for d in range(5)}
H = timedelta(hours=1)


def at(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=tz, fold=fold)  # type: ignore[misc]


# --- Worked examples -----------------------------------------------------------------------
def test_friday_afternoon_to_monday_morning() -> None:
    spec = CalendarSpec("Europe/London", NINE_TO_FIVE)
    friday = at(LONDON, 2026, 11, 27, 16, 0)
    assert due(spec, friday, 2 * H) == at(LONDON, 2026, 11, 30, 10, 0)
    assert elapsed(spec, friday, at(LONDON, 2026, 11, 30, 10, 0)) == 2 * H


def test_start_outside_hours_counts_from_the_next_opening() -> None:
    spec = CalendarSpec("Europe/London", NINE_TO_FIVE)
    saturday = at(LONDON, 2026, 11, 28, 13, 0)
    assert due(spec, saturday, timedelta(minutes=30)) == at(LONDON, 2026, 11, 30, 9, 30)
    assert elapsed(spec, saturday, at(LONDON, 2026, 11, 30, 9, 0)) == timedelta(0)


def test_holidays_are_skipped_by_local_date() -> None:
    spec = CalendarSpec(
        "Europe/London", NINE_TO_FIVE, frozenset({date(2026, 12, 25), date(2026, 12, 28)})
    )
    thursday = at(LONDON, 2026, 12, 24, 16, 0)
    # 1 h on Thu 24th; Fri 25th and Mon 28th are holidays; 7 h more from Tue 29th 09:00.
    assert due(spec, thursday, 8 * H) == at(LONDON, 2026, 12, 29, 16, 0)


def test_split_shift_skips_the_lunch_break() -> None:
    spec = CalendarSpec("UTC", {0: [(time(13), time(17)), (time(8), time(12))]})
    monday = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    assert due(spec, monday, 2 * H) == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert elapsed(spec, monday, datetime(2026, 11, 30, 18, 0, tzinfo=UTC)) == 5 * H


def test_always_open_follows_real_time_across_both_dst_changes() -> None:
    spec = CalendarSpec.always("Europe/Berlin")
    # 29 March 2026: 02:00 → 03:00, the local day has 23 hours.
    assert due(spec, at(BERLIN, 2026, 3, 28, 12), 24 * H) == at(BERLIN, 2026, 3, 29, 13)
    # 25 October 2026: 03:00 → 02:00, the local day has 25 hours.
    assert due(spec, at(BERLIN, 2026, 10, 24, 12), 24 * H) == at(BERLIN, 2026, 10, 25, 11)
    day = elapsed(spec, at(BERLIN, 2026, 10, 25, 0), at(BERLIN, 2026, 10, 26, 0))
    assert day == 25 * H


def test_the_skipped_hour_counts_nothing_and_the_repeated_hour_counts_twice() -> None:
    sunday_nights = CalendarSpec("Europe/Berlin", {6: [(time(1), time(4))]})
    spring = elapsed(sunday_nights, at(BERLIN, 2026, 3, 28), at(BERLIN, 2026, 3, 30))
    autumn = elapsed(sunday_nights, at(BERLIN, 2026, 10, 24), at(BERLIN, 2026, 10, 26))
    assert (spring, autumn) == (2 * H, 4 * H)
    # Half an hour after 02:00 local on the autumn Sunday: first pass of 02:30 is the answer.
    start = at(BERLIN, 2026, 10, 25, 1, 0)
    assert due(sunday_nights, start, 90 * timedelta(minutes=1)) == at(
        BERLIN, 2026, 10, 25, 2, 30, fold=0
    )
    assert due(sunday_nights, start, 150 * timedelta(minutes=1)) == at(
        BERLIN, 2026, 10, 25, 2, 30, fold=1
    )


def test_pauses_spanning_nights_are_left_out() -> None:
    spec = CalendarSpec("Europe/London", NINE_TO_FIVE)
    start = at(LONDON, 2026, 11, 30, 9, 0)  # Monday
    pause = (at(LONDON, 2026, 11, 30, 15, 0), at(LONDON, 2026, 12, 2, 11, 0))  # Mon 15 → Wed 11
    assert elapsed(spec, start, at(LONDON, 2026, 12, 2, 17, 0), [pause]) == 12 * H
    assert due(spec, start, 8 * H, [pause]) == at(LONDON, 2026, 12, 2, 13, 0)


def test_targets_of_several_weeks_and_midnight_ends() -> None:
    spec = CalendarSpec("UTC", {d: [(time(20), time(0))] for d in range(7)})  # 20:00-24:00
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    end = due(spec, start, 4 * 7 * 4 * H)  # 28 evenings
    assert end == datetime(2026, 1, 29, 0, 0, tzinfo=UTC)
    assert elapsed(spec, start, end) == 112 * H


def test_due_answers_in_the_time_zone_of_the_start() -> None:
    spec = CalendarSpec("Europe/London", NINE_TO_FIVE)
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert due(spec, start, H).tzinfo is UTC
    assert due(spec, start.astimezone(BERLIN), H).tzinfo is BERLIN


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: elapsed(s, datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC)), "start"),
        (lambda s: due(s, datetime(2026, 1, 1, tzinfo=UTC), -H), "negative"),
        (lambda s: CalendarSpec("Mars/Olympus", {}), "Unknown time zone"),
        (lambda s: CalendarSpec("UTC", {7: [(time(9), time(17))]}), "Weekday"),
        (lambda s: CalendarSpec("UTC", {0: [(time(9), time(8))]}), "end after"),
        (
            lambda s: CalendarSpec("UTC", {0: [(time(9), time(12)), (time(11), time(13))]}),
            "overlap",
        ),
        (lambda s: due(CalendarSpec("UTC", {}), datetime(2026, 1, 1, tzinfo=UTC), H), "no working"),
    ],
)
def test_bad_input_is_a_clear_value_error(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(CalendarSpec("UTC", NINE_TO_FIVE))


def test_from_calendar_reads_hours_and_holidays(db: Any, django_assert_num_queries: Any) -> None:
    calendar = BusinessCalendar.objects.create(name="Lisbon desk", time_zone="Europe/Lisbon")
    for weekday in range(5):
        WorkingHours.objects.create(calendar=calendar, weekday=weekday, start=time(8), end=time(12))
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, start=time(13), end=time(17)
        )
    Holiday.objects.create(calendar=calendar, date=date(2026, 12, 8), name="Immaculate Conception")
    loaded = BusinessCalendar.objects.prefetch_related("hours", "holidays").get(pk=calendar.pk)
    with django_assert_num_queries(0):
        spec = CalendarSpec.from_calendar(loaded)
    assert spec.hours[0] == [(time(8), time(12)), (time(13), time(17))]
    assert spec.holidays == frozenset({date(2026, 12, 8)})
    lisbon = ZoneInfo("Europe/Lisbon")
    assert due(spec, at(lisbon, 2026, 12, 7, 16), 2 * H) == at(lisbon, 2026, 12, 9, 9)


# --- Properties against a slow reference -----------------------------------------------------
# Each zone with the days of its 2026 DST changes (and an ordinary week for UTC).
ZONES = {
    "UTC": [datetime(2026, 6, 15, tzinfo=UTC)],
    "Europe/Berlin": [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)],
    "America/New_York": [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)],
    "Australia/Lord_Howe": [
        datetime(2026, 4, 4, 15, tzinfo=UTC),
        datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
    ],
    "America/Santiago": [datetime(2026, 4, 5, 3, tzinfo=UTC), datetime(2026, 9, 6, 4, tzinfo=UTC)],
}
ANCHORS = [a for anchors in ZONES.values() for a in anchors]
MINUTE = timedelta(minutes=1)


@st.composite
def day_hours(draw: Any) -> list[tuple[time, time]]:
    """0-2 intervals on a quarter-hour grid; 96 quarters = the midnight that ends the day."""
    points = sorted(draw(st.sets(st.integers(0, 96), max_size=4)))
    if len(points) % 2:
        points = points[:-1]

    def clock(quarter: int) -> time:
        return time(0, 0) if quarter == 96 else time(quarter // 4, quarter % 4 * 15)

    return [(clock(a), clock(b)) for a, b in zip(points[::2], points[1::2], strict=True)]


@st.composite
def calendars(draw: Any) -> CalendarSpec:
    hours = {d: draw(day_hours()) for d in range(7)}
    if draw(st.booleans()):
        hours = {d: [(time(0), time(0))] for d in range(7)}
    days = [a.date() + timedelta(days=k) for a in ANCHORS for k in (-1, 0, 1)]
    holidays = draw(st.frozensets(st.sampled_from(days), max_size=3))
    return CalendarSpec(draw(st.sampled_from(sorted(ZONES))), hours, holidays)


@st.composite
def cases(draw: Any) -> tuple[CalendarSpec, datetime]:
    """A calendar and a start within a day or two of one of its zone's DST changes."""
    spec = draw(calendars())
    anchor = draw(st.sampled_from(ZONES[spec.tz]))
    return spec, anchor + draw(st.integers(-2 * 1440, 1440)) * MINUTE


@st.composite
def pause_lists(draw: Any, around: datetime) -> list[tuple[datetime, datetime]]:
    pauses = []
    for _ in range(draw(st.integers(0, 2))):
        a = around + draw(st.integers(-600, 3 * 1440)) * MINUTE
        pauses.append((a, a + draw(st.integers(1, 2 * 1440)) * MINUTE))
    return pauses


def working(spec: CalendarSpec, moment: datetime, pauses: list[tuple[datetime, datetime]]) -> bool:
    if any(a <= moment < b for a, b in pauses):
        return False
    local = moment.astimezone(ZoneInfo(spec.tz))
    if local.date() in spec.holidays:
        return False
    clock = local.time().replace(fold=0)
    return any(
        start <= clock and (end == time(0) or clock < end)
        for start, end in spec.hours.get(local.weekday(), [])
    )


def reference_elapsed(
    spec: CalendarSpec, start: datetime, end: datetime, pauses: list[tuple[datetime, datetime]]
) -> timedelta:
    """Minute by minute: exact here, as every boundary lies on a whole UTC minute."""
    minutes = int((end - start) / MINUTE)
    return MINUTE * sum(working(spec, start + i * MINUTE, pauses) for i in range(max(minutes, 0)))


PROPERTY = settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(case=cases(), minutes=st.integers(0, 3 * 1440), data=st.data())
def test_elapsed_matches_the_reference(
    case: tuple[CalendarSpec, datetime], minutes: int, data: Any
) -> None:
    spec, start = case
    pauses = data.draw(pause_lists(start))
    end = start + minutes * MINUTE
    assert elapsed(spec, start, end, pauses) == reference_elapsed(spec, start, end, pauses)


@PROPERTY
@given(case=cases(), target_minutes=st.integers(1, 6 * 60), data=st.data())
def test_due_matches_the_reference(
    case: tuple[CalendarSpec, datetime], target_minutes: int, data: Any
) -> None:
    spec, start = case
    pauses = data.draw(pause_lists(start))
    target = target_minutes * MINUTE
    # The reference walks minutes: only calendars that reach the target within 4 days.
    horizon = start + timedelta(days=4)
    assume(reference_elapsed(spec, start, horizon, pauses) >= target)
    got, moment = timedelta(0), start
    while got < target:
        got += MINUTE if working(spec, moment, pauses) else timedelta(0)
        moment += MINUTE
    assert due(spec, start, target, pauses) == moment


@PROPERTY
@given(case=cases(), target_hours=st.integers(1, 3 * 7 * 24), data=st.data())
def test_due_is_the_earliest_instant_reaching_the_target(
    case: tuple[CalendarSpec, datetime], target_hours: int, data: Any
) -> None:
    spec, start = case
    assume(any(spec.hours.values()))
    pauses = data.draw(pause_lists(start))
    target = target_hours * H
    end = due(spec, start, target, pauses)
    assert elapsed(spec, start, end, pauses) == target
    assert elapsed(spec, start, end - timedelta(microseconds=1), pauses) < target


@PROPERTY
@given(
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"]),
    start_minutes=st.integers(0, 366 * 1440),
    minutes=st.integers(0, 60 * 1440),
)
def test_round_the_clock_counts_wall_time_as_the_day_walk_does(
    zone: str, start_minutes: int, minutes: int
) -> None:
    """A calendar open every whole day with no holiday answers by subtraction (in UTC); the same
    hours written as two halves a day take the day-by-day walk: both agree, DST days included."""
    fast = CalendarSpec.always(zone)
    halves = [(time(0), time(12)), (time(12), time(0))]
    walk = CalendarSpec(tz=zone, hours={day: halves for day in range(7)})
    assert fast.round_the_clock and not walk.round_the_clock
    start = (datetime(2026, 1, 1, tzinfo=UTC) + start_minutes * MINUTE).astimezone(ZoneInfo(zone))
    end = start + minutes * MINUTE  # wall-clock arithmetic in the zone: crosses DST unevenly
    assert elapsed(fast, start, end) == elapsed(walk, start, end)
    holiday = CalendarSpec(tz=zone, hours=fast.hours, holidays=frozenset({date(2026, 3, 29)}))
    assert not holiday.round_the_clock
