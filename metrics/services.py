"""The only writers of the metrics app's own tables: the rollups. Nothing here writes another
app's data."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.db.models.functions import TruncDate

from incidents.models import Incident
from servicedesk import clock

from . import selectors
from .expressions import CalendarCache
from .models import IncidentFact, RollupDay

SWEEP_MAX_DAYS = 62


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), UTC)
    return start, start + timedelta(days=1)


def rollup_rebuild_day(*, day: date) -> int:
    """Rebuild the facts of every incident created on ``day`` (UTC) from the live query, in
    one transaction and in the database (``INSERT … SELECT``): running it twice, or for any
    past day, leaves the same rows. Returns how many facts the day has."""
    start, end = day_bounds(day)
    CalendarCache.refresh()
    rows = selectors.incident_rows().filter(created_at__gte=start, created_at__lt=end)
    sources = dict(zip(selectors.FACT_COLUMNS, ("pk", *selectors.FACT_COLUMNS[1:]), strict=True))
    live = rows.values(**{f"m_{column}": F(source) for column, source in sources.items()})
    select_sql, params = live.query.sql_with_params()
    table = connection.ops.quote_name(IncidentFact._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in selectors.FACT_COLUMNS)
    picked = ", ".join(f"sub.{connection.ops.quote_name('m_' + c)}" for c in selectors.FACT_COLUMNS)
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
            day=day, defaults={"rebuilt_at": clock.now(), "incidents": count}
        )
    return count


def rollup_days_due(*, limit: int = SWEEP_MAX_DAYS) -> list[date]:
    """Days whose facts may be stale: every day with an incident changed since the last
    rebuild of any day (or, before the first rebuild, every day with incidents), oldest
    first, at most ``limit``."""
    last = RollupDay.objects.aggregate(last=Max("rebuilt_at"))["last"]
    touched = Incident.objects.order_by()
    if last is not None:
        # a second of slack: an incident saved during the last sweep is looked at again
        touched = touched.filter(updated_at__gte=last - timedelta(seconds=1))
    else:
        first = Incident.objects.aggregate(first=Min("created_at"))["first"]
        if first is None:
            return []
    days = (
        touched.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values_list("day", flat=True)
        .distinct()
        .order_by("day")[:limit]
    )
    return list(days)


def rollup_sweep(*, limit: int = SWEEP_MAX_DAYS) -> list[date]:
    days = rollup_days_due(limit=limit)
    for day in days:
        rollup_rebuild_day(day=day)
    return days
