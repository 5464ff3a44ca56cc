from datetime import UTC, date, datetime, time
from typing import Any

from org.models import Holiday, WorkingHours

from .factories import BusinessCalendarFactory


def test_working_time_respects_zone_weekday_and_holidays(db: Any) -> None:
    calendar = BusinessCalendarFactory(time_zone="Europe/London")
    WorkingHours.objects.create(calendar=calendar, weekday=0, start=time(9), end=time(17))
    Holiday.objects.create(calendar=calendar, date=date(2026, 12, 28), name="Boxing Day")
    # Monday 2026-11-23 09:30 London (= UTC in winter)
    assert calendar.is_working_time(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    assert not calendar.is_working_time(datetime(2026, 11, 23, 8, 59, tzinfo=UTC))
    assert not calendar.is_working_time(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))  # Tuesday
    assert not calendar.is_working_time(datetime(2026, 12, 28, 10, 0, tzinfo=UTC))  # holiday
