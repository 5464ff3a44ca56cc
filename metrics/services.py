"""The only writers of the metrics app's own tables: the rollups. Nothing here writes another
app's data."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate

from incidents.models import Incident
from servicedesk import clock

from . import selectors
from .expressions import CalendarCache
from .models import IncidentFact, RollupDay, RollupSweep

SWEEP_MAX_DAYS = 62


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), UTC)
    return start, start + timedelta(days=1)


def rollup_rebuild_day(*, day: date) -> int:
    """Rebuild the facts of every incident created on ``day`` (UTC) from the live query, in
    one transaction and in the database (``INSERT … SELECT``): running it twice, or for any
    past day, leaves the same rows. Returns how many facts the day has."""
    as_of = clock.now()  # before reading: a change made while this runs is seen next time
    start, end = day_bounds(day)
    CalendarCache.refresh()
    rows = selectors.incident_rows().filter(created_at__gte=start, created_at__lt=end)
    live = rows.values(
        **{f"fact_{column}": F(source) for column, source in selectors.FACT_SOURCES.items()}
    )
    select_sql, params = live.query.sql_with_params()
    table = connection.ops.quote_name(IncidentFact._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in selectors.FACT_COLUMNS)
    picked = ", ".join(
        f"sub.{connection.ops.quote_name('fact_' + c)}" for c in selectors.FACT_COLUMNS
    )
    with transaction.atomic():
        IncidentFact.objects.filter(day=day).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                # the SELECT is compiled by the ORM; only the parameters carry values
                f"INSERT INTO {table} ({columns}, day) SELECT {picked}, %s FROM ({select_sql}) sub",  # noqa: S608
                (day, *params),
            )
        count = IncidentFact.objects.filter(day=day).count()
        RollupDay.objects.update_or_create(
            day=day, defaults={"rebuilt_at": as_of, "incidents": count}
        )
    return count


def rollup_days_due(*, limit: int = SWEEP_MAX_DAYS) -> list[date]:
    """Days whose facts may be stale, oldest first, at most ``limit``: days with an incident
    changed since the last complete sweep started (every day, before the first one) whose
    facts were not rebuilt after that change. A sweep cut short by ``limit`` leaves the rest
    due, so the next one carries on."""
    last = RollupSweep.objects.aggregate(last=Max("started_at"))["last"]
    touched = Incident.objects.order_by()
    if last is not None:
        touched = touched.filter(updated_at__gte=last)
    rebuilt = RollupDay.objects.filter(day=OuterRef("day")).values("rebuilt_at")[:1]
    days = (
        touched.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .annotate(rebuilt=Subquery(rebuilt))
        .filter(Q(rebuilt__isnull=True) | Q(updated_at__gte=F("rebuilt")))
        .values_list("day", flat=True)
        .distinct()
        .order_by("day")[:limit]
    )
    return list(days)


def rollup_sweep(*, limit: int = SWEEP_MAX_DAYS) -> list[date]:
    """Rebuild the days due; once nothing is left over, remember the sweep."""
    started = clock.now()
    days = rollup_days_due(limit=limit)
    for day in days:
        rollup_rebuild_day(day=day)
    if len(days) < limit:
        RollupSweep.objects.create(started_at=started, days=len(days))
    return days
