"""The only writers of the metrics app's own tables: the rollups. Nothing here writes another
app's data."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate

from incidents.models import Incident, IncidentEvent, Satisfaction
from servicedesk import clock

from . import event_facts, queue_jumps, selectors
from .expressions import CalendarCache
from .models import EventFact, IncidentFact, QueueJumpFact, RollupDay, RollupSweep

SWEEP_MAX_DAYS = 62


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), UTC)
    return start, start + timedelta(days=1)


def _insert_select(model: Any, live: QuerySet[Any], columns: dict[str, Any], extra: str) -> None:
    """``INSERT INTO <model's table> (columns…, day) SELECT …`` from the ORM-compiled ``live``
    query: ``extra`` is the SQL of the ``day`` column over the sub-select ``sub``."""
    select_sql, params = live.values(
        **{f"fact_{column}": source for column, source in columns.items()}
    ).query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    picked = ", ".join(f"sub.{quote('fact_' + c)}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            # the SELECT is compiled by the ORM; only the parameters carry values
            # in time order: a period's facts then sit together on disk (a rebuild of every
            # day would otherwise scatter them in the order the incidents were read)
            f"INSERT INTO {table} ({names}, day) SELECT {picked}, {extra} "  # noqa: S608
            f"FROM ({select_sql}) sub ORDER BY sub.fact_created_at",
            params,
        )


def _incident_columns() -> dict[str, Any]:
    return {column: F(source) for column, source in selectors.FACT_SOURCES.items()}


def _utc_day(column: str) -> str:
    """The UTC date of ``sub.<column>`` in SQL (SQLite keeps UTC as text: its date part)."""
    if connection.vendor == "postgresql":
        return f"(sub.{column} AT TIME ZONE 'UTC')::date"
    return f"date(sub.{column})"


def rollup_rebuild_day(*, day: date) -> int:
    """Rebuild the facts of every incident created on ``day`` (UTC) from the live query, in
    one transaction and in the database (``INSERT … SELECT``): running it twice, or for any
    past day, leaves the same rows. The queue-jump facts rebuilt are those of the jumps made by
    these incidents and those made in the ``QUEUE_HORIZON`` after the day (they may have passed
    these incidents). Returns how many incident facts the day has."""
    as_of = clock.now()  # before reading: a change made while this runs is seen next time
    start, end = day_bounds(day)
    CalendarCache.refresh()
    rows = selectors.incident_rows().filter(created_at__gte=start, created_at__lt=end)
    jumps = queue_jumps.jump_rows().filter(
        Q(incident__created_at__gte=start, incident__created_at__lt=end)
        | Q(created_at__gte=start, created_at__lt=end + queue_jumps.QUEUE_HORIZON)
    )
    with transaction.atomic():
        IncidentFact.objects.filter(day=day).delete()
        _insert_select(IncidentFact, rows, _incident_columns(), _utc_day("fact_created_at"))
        EventFact.objects.filter(day=day).delete()
        _insert_events(Q(incident__created_at__gte=start, incident__created_at__lt=end))
        QueueJumpFact.objects.filter(event_id__in=jumps.values("pk")).delete()
        _insert_jumps(jumps)
        count = IncidentFact.objects.filter(day=day).count()
        RollupDay.objects.update_or_create(
            day=day, defaults={"rebuilt_at": as_of, "incidents": count}
        )
    return count


def _insert_jumps(jumps: QuerySet[Any]) -> None:
    columns = {**queue_jumps.JUMP_FACT_SOURCES, "jumper_created": F("incident__created_at")}
    select_sql, params = jumps.values(
        **{f"fact_{column}": source for column, source in columns.items()}
    ).query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in queue_jumps.JUMP_FACT_SOURCES)
    picked = ", ".join(f"sub.{quote('fact_' + c)}" for c in queue_jumps.JUMP_FACT_SOURCES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(QueueJumpFact._meta.db_table)} ({names}, day) "  # noqa: S608
            f"SELECT {picked}, {_utc_day('fact_jumper_created')} FROM ({select_sql}) sub "
            "ORDER BY sub.fact_created_at",
            params,
        )


def _insert_events(only: Q | None = None) -> None:
    """Copy the live event rows of every kind (``event_facts``) on the incidents ``only``
    selects (all when None) into ``EventFact``, each with its incident's creation day."""
    quote = connection.ops.quote_name
    columns = {**event_facts.FACT_SOURCES, "incident_created": F("incident__created_at")}
    names = ", ".join(quote(c) for c in event_facts.FACT_SOURCES)
    picked = ", ".join(f"sub.{quote('fact_' + c)}" for c in event_facts.FACT_SOURCES)
    for kind in event_facts.KINDS:
        live = event_facts.live_rows(kind)
        if only is not None:
            live = live.filter(only)
        select_sql, params = live.values(
            **{f"fact_{column}": source for column, source in columns.items()}
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(EventFact._meta.db_table)} ({names}, kind, day) "  # noqa: S608
                f"SELECT {picked}, %s, {_utc_day('fact_incident_created')} "
                f"FROM ({select_sql}) sub ORDER BY sub.fact_created_at",
                (kind, *params),
            )


def rollup_rebuild_all() -> int:
    """Rebuild every fact at once, set-wise: one ``INSERT … SELECT`` per fact table over all
    incidents (the day of each computed in the database) and one for the days' counts —
    the same rows as rebuilding every day one at a time, far faster. Returns the facts built."""
    as_of = clock.now()
    CalendarCache.refresh()
    with transaction.atomic():
        IncidentFact.objects.all().delete()
        QueueJumpFact.objects.all().delete()
        EventFact.objects.all().delete()
        _insert_select(
            IncidentFact,
            selectors.incident_rows(),
            _incident_columns(),
            _utc_day("fact_created_at"),
        )
        _insert_jumps(queue_jumps.jump_rows())
        _insert_events()
        RollupDay.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(RollupDay._meta.db_table)} "  # noqa: S608
                "(day, rebuilt_at, incidents) SELECT day, %s, COUNT(*) FROM "
                f"{connection.ops.quote_name(IncidentFact._meta.db_table)} GROUP BY day",
                [as_of],
            )
        RollupSweep.objects.create(started_at=as_of, days=RollupDay.objects.count())
        return IncidentFact.objects.count()


def _due(rows: QuerySet[Any], changed: str, created: str, limit: int) -> list[date]:
    """Of ``rows`` (each with a ``changed`` time and its incident's ``created`` time), the UTC
    creation days not rebuilt since the change, oldest first."""
    rebuilt = RollupDay.objects.filter(day=OuterRef("day")).values("rebuilt_at")[:1]
    return list(
        rows.annotate(day=TruncDate(created, tzinfo=UTC))
        .annotate(rebuilt=Subquery(rebuilt))
        .filter(Q(rebuilt__isnull=True) | Q(**{f"{changed}__gte": F("rebuilt")}))
        .values_list("day", flat=True)
        .distinct()
        .order_by("day")[:limit]
    )


def rollup_days_due(*, limit: int = SWEEP_MAX_DAYS) -> list[date]:
    """Days whose facts may be stale, oldest first, at most ``limit``: days with an incident
    changed since the last complete sweep started (every day, before the first one) — or with
    a rating or an incident event given since then (they do not touch the incident row) —
    whose facts were not rebuilt after that change. A sweep cut short by ``limit`` leaves the
    rest due, so the next one carries on."""
    last = RollupSweep.objects.aggregate(last=Max("started_at"))["last"]
    touched = Incident.objects.order_by()
    if last is None:
        return _due(touched, "updated_at", "created_at", limit)
    days = set(_due(touched.filter(updated_at__gte=last), "updated_at", "created_at", limit))
    ratings = Satisfaction.objects.order_by().filter(created_at__gte=last)
    days |= set(_due(ratings, "created_at", "incident__created_at", limit))
    events = IncidentEvent.objects.order_by().filter(
        created_at__gte=last,
        type__in=[event_facts.RESOLVED_EVENT, event_facts.WORKAROUND_EVENT, queue_jumps.JUMP_EVENT],
    )
    days |= set(_due(events, "created_at", "incident__created_at", limit))
    return sorted(days)[:limit]


def rollup_sweep(*, limit: int = SWEEP_MAX_DAYS) -> list[date]:
    """Rebuild the days due; once nothing is left over, remember the sweep."""
    started = clock.now()
    days = rollup_days_due(limit=limit)
    for day in days:
        rollup_rebuild_day(day=day)
    if len(days) < limit:
        RollupSweep.objects.create(started_at=started, days=len(days))
    return days
