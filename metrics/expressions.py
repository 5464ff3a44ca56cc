"""Database expressions the metrics are built from, one definition for both backends.

PostgreSQL computes everything natively: ``percentile_cont(p) WITHIN GROUP (ORDER BY …)``,
``EXTRACT(EPOCH FROM …)`` and ``metrics_business_seconds(start, end, calendar)``, an SQL
function (migration 0001) that walks the calendar's local days with ``generate_series`` and
intersects each day's working hours with the interval, leaving out holidays.

SQLite (the zero-service local mode) has neither percentiles nor time zones, so the same
names are registered on each SQLite connection (``metrics.apps``) as SQL functions backed by
Python: an aggregate that computes ``percentile_cont`` exactly (linear interpolation between
the two nearest ranks, as PostgreSQL does), the exact number of seconds between two
timestamps, and business seconds from ``org.business_time`` — the module the SLA clocks use.
The queries themselves are identical on both backends.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from django.db.models import Aggregate, FloatField, Func

from org import business_time


class PercentileCont(Aggregate):
    """The continuous percentile ``fraction`` (0-1) of ``expression`` over the group."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must lie in [0, 1]")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        clone = self.copy()
        clone.function = "metrics_percentile_cont"
        clone.template = "%(function)s(%(expressions)s, %(fraction)s)"
        return super(PercentileCont, clone).as_sql(compiler, connection, **extra_context)


class Seconds(Func):
    """Seconds from ``start`` to ``end`` (negative if ``end`` is earlier), as a float."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, function="metrics_seconds", **extra_context)


class DurationSeconds(Func):
    """A stored duration (``DurationField``) in seconds, as a float: an interval on
    PostgreSQL, a count of microseconds on SQLite."""

    output_field = FloatField()
    arity = 1

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
            **extra_context,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(%(expressions)s / 1000000.0)", **extra_context
        )


class BusinessSeconds(Func):
    """Working seconds from ``start`` to ``end`` on business calendar ``calendar_id``; with no
    calendar, every second counts (24 x 7)."""

    function = "metrics_business_seconds"
    output_field = FloatField()
    arity = 3


# --- SQLite: the same functions, backed by Python -----------------------------------------


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sqlite_seconds(end: Any, start: Any) -> float | None:
    lo, hi = _instant(start), _instant(end)
    if lo is None or hi is None:
        return None
    return (hi - lo).total_seconds()


class CalendarCache:
    """Business calendars as pure specs, for the SQLite function. Reloaded before each metrics
    computation (``refresh``) so an edited calendar counts at once."""

    specs: dict[int, business_time.CalendarSpec] = {}

    @classmethod
    def refresh(cls) -> None:
        from org.models import BusinessCalendar

        calendars = BusinessCalendar.objects.prefetch_related("hours", "holidays")
        cls.specs = {c.pk: business_time.CalendarSpec.from_calendar(c) for c in calendars}


def sqlite_business_seconds(start: Any, end: Any, calendar_id: Any) -> float | None:
    lo, hi = _instant(start), _instant(end)
    if lo is None or hi is None:
        return None
    if calendar_id is None:
        return (hi - lo).total_seconds()
    spec = CalendarCache.specs.get(int(calendar_id))
    if spec is None:
        return None
    return business_time.elapsed(spec, lo, hi).total_seconds()


class SqlitePercentileCont:
    """``percentile_cont`` as an SQLite aggregate: NULLs are ignored; no values gives NULL."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: Any, fraction: Any) -> None:
        self.fraction = float(fraction)
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        position = self.fraction * (len(ordered) - 1)
        lower = math.floor(position)
        upper = min(lower + 1, len(ordered) - 1)
        return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])


def register_sqlite_functions(connection: Any) -> None:
    raw = connection.connection
    raw.create_function("metrics_seconds", 2, sqlite_seconds, deterministic=True)
    raw.create_function("metrics_business_seconds", 3, sqlite_business_seconds)
    raw.create_aggregate("metrics_percentile_cont", 2, SqlitePercentileCont)
