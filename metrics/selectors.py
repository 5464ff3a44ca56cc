"""The metrics, computed in the database: aggregates, percentiles and subqueries over the other
apps' tables and event tables (never a loop over rows in Python). ``metrics`` only reads.

Each figure is a dict; a rate always carries its numerator and denominator, and every figure
carries ``cases`` and ``too_few_cases`` (fewer cases than ``MetricsSettings.min_cases``).
Definitions: ``docs/metrics.md``."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from typing import Any

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncMonth, TruncWeek

from incidents.choices import OPEN_STATUSES, ResolutionCode
from incidents.models import Incident, IncidentEvent, Problem, Satisfaction
from org.models import BusinessService
from servicedesk import clock

from . import event_facts
from .expressions import BusinessSeconds, CalendarCache, PercentileCont, Seconds
from .filtersets import MetricFilters
from .models import EventFact, IncidentFact, MetricsSettings, RollupDay
from .sla_rows import PAUSE_CAUSES, SLA_COLUMNS, sla_annotations

HOUR = 3600.0
SATISFIED_FROM = 4  # a rating of 4 or 5 out of 5 is "satisfied"
BACKLOG_BUCKETS = (
    ("under_1_day", 0, 1),
    ("1_to_3_days", 1, 3),
    ("3_to_7_days", 3, 7),
    ("7_to_30_days", 7, 30),
    ("over_30_days", 30, None),
)
SOURCES = ("auto", "live", "rollup")


def metrics_settings() -> MetricsSettings:
    """The settings row, or the defaults when none was saved (metrics never writes it)."""
    return MetricsSettings.objects.order_by("pk").first() or MetricsSettings()


# --- shapes ------------------------------------------------------------------------------


def rate(numerator: int, denominator: int, min_cases: int) -> dict[str, Any]:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "value": round(numerator / denominator, 4) if denominator else None,
        "too_few_cases": denominator < min_cases,
    }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def distribution(cases: int, p50: float | None, p90: float | None, min_cases: int) -> dict:
    """Durations in hours."""
    return {
        "cases": cases,
        "p50_hours": _round(p50 / HOUR if p50 is not None else None, 2),
        "p90_hours": _round(p90 / HOUR if p90 is not None else None, 2),
        "too_few_cases": cases < min_cases,
    }


def _duration_aggregates(prefix: str, expression: Any, only: Q | None = None) -> dict[str, Any]:
    return {
        f"{prefix}_cases": Count(expression, filter=only),
        f"{prefix}_p50": PercentileCont(expression, 0.5, filter=only),
        f"{prefix}_p90": PercentileCont(expression, 0.9, filter=only),
    }


def _trunc(filters: MetricFilters, field: str) -> Any:
    zone = zoneinfo.ZoneInfo(filters.tz)
    kind = TruncMonth if filters.bucket == "month" else TruncWeek
    return kind(field, tzinfo=zone)


# --- incident rows: live, or from the rollup ---------------------------------------------


def incident_rows() -> QuerySet[Incident]:
    """Every incident with the columns the outcome metrics need, computed live; the same
    names as ``IncidentFact``'s fields, which the rollup copies from this query."""
    window = timedelta(days=metrics_settings().repeat_window_days)
    assignments = (
        IncidentEvent.objects.filter(incident=OuterRef("pk"), type="incident.assigned")
        .order_by()
        .values("incident")
        .annotate(n=Count("pk"))
        .values("n")
    )
    earlier_for_requester = Incident.objects.filter(
        service_id=OuterRef("service_id"),
        requester_id=OuterRef("requester_id"),
        created_at__lt=OuterRef("created_at"),
        created_at__gte=ExpressionWrapper(
            OuterRef("created_at") - Value(window), output_field=DateTimeField()
        ),
    )
    restored = Q(resolved_at__isnull=False) & ~Q(resolution_code=ResolutionCode.DUPLICATE)
    rows = (
        Incident.objects.order_by()
        .annotate(
            calendar_id=Coalesce(
                F("sla__calendar_id"),
                F("service__calendar_id"),
                F("service__owner_team__calendar_id"),
                F("team__calendar_id"),
            ),
            assignments=Coalesce(Subquery(assignments, output_field=IntegerField()), 0),
        )
        .annotate(
            wall_seconds=Seconds(F("resolved_at"), F("created_at")),
            business_seconds=BusinessSeconds(F("created_at"), F("resolved_at"), F("calendar_id")),
            reopened=ExpressionWrapper(Q(reopened_count__gt=0), output_field=BooleanField()),
            first_contact=ExpressionWrapper(
                restored & Q(reopened_count=0, assignments__lte=1), output_field=BooleanField()
            ),
            is_repeat=ExpressionWrapper(
                Q(service__isnull=False) & Exists(earlier_for_requester),
                output_field=BooleanField(),
            ),
            restored=ExpressionWrapper(restored, output_field=BooleanField()),
            requester_band=F("requester__seniority_band"),
            requester_vip=F("requester__is_vip"),
        )
    )
    return sla_annotations(rows)


FACT_COLUMNS = (
    "incident_id",
    "created_at",
    "resolved_at",
    "service_id",
    "team_id",
    "priority",
    "category_id",
    "affected_users",
    "wall_seconds",
    "business_seconds",
    "reopened",
    "first_contact",
    "is_repeat",
    *SLA_COLUMNS,
    "restored",
    "requester_band",
    "requester_vip",
)
# where each fact column comes from in ``incident_rows()`` (the same name unless listed)
FACT_SOURCES = {
    column: {"incident_id": "pk", "matrix_priority": "m_priority"}.get(column, column)
    for column in FACT_COLUMNS
}


def restored_q() -> Q:
    """An incident whose service was restored: resolved (or closed after resolution), not a
    merged duplicate, not cancelled."""
    return Q(resolved_at__isnull=False) & ~Q(resolution_code=ResolutionCode.DUPLICATE)


def rollup_as_of() -> Any:
    return RollupDay.objects.order_by("-rebuilt_at").values_list("rebuilt_at", flat=True).first()


def resolve_source(source: str) -> str:
    if source == "auto":
        return "rollup" if rollup_as_of() is not None else "live"
    return source


def _rows(source: str) -> QuerySet[Any]:
    if source == "rollup":
        return IncidentFact.objects.order_by().filter(
            Q(restored=True) | Q(resolved_at__isnull=True)
        )
    CalendarCache.refresh()
    return incident_rows().filter(restored_q() | Q(resolved_at__isnull=True))


def _scoped(qs: QuerySet[Any], filters: MetricFilters) -> QuerySet[Any]:
    if filters.service_id is not None:
        qs = qs.filter(service_id=filters.service_id)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    if filters.priority is not None:
        qs = qs.filter(priority=filters.priority)
    return qs


def _incident_scope(prefix: str, filters: MetricFilters) -> Q:
    return filters.scope(f"{prefix}service_id", f"{prefix}team_id", f"{prefix}priority")


# --- customer outcomes ---------------------------------------------------------------------


def outcomes(
    *, filters: MetricFilters, source: str = "auto", brief: bool = False
) -> dict[str, Any]:
    """Customer outcomes for the period (``docs/metrics.md`` defines each). ``brief`` (the
    printable review, which shows neither) leaves out the trend and the repeat incidents."""
    min_cases = metrics_settings().min_cases
    source = resolve_source(source)
    rows = _scoped(_rows(source), filters)
    resolved = rows.filter(
        resolved_at__isnull=False, resolved_at__gte=filters.start, resolved_at__lt=filters.end
    )
    restore = resolved.aggregate(
        cases=Count("pk"),
        **_duration_aggregates("wall", F("wall_seconds")),
        **_duration_aggregates("business", F("business_seconds")),
        reopened_n=Count("pk", filter=Q(reopened=True)),
        first_contact_n=Count("pk", filter=Q(first_contact=True)),
        wall_total=Sum(F("wall_seconds"), output_field=FloatField()),
        **{
            f"wait_{cause}": Sum(F(f"wait_{cause}_seconds"), output_field=FloatField())
            for cause in PAUSE_CAUSES
        },
        impact_seconds=Sum(
            Cast(F("affected_users"), FloatField()) * F("wall_seconds"), output_field=FloatField()
        ),
    )
    cases = restore["cases"]
    trend = (
        resolved.annotate(bucket=_trunc(filters, "resolved_at"))
        .values("bucket")
        .annotate(
            resolved=Count("pk"),
            p50=PercentileCont(F("wall_seconds"), 0.5),
            p90=PercentileCont(F("wall_seconds"), 0.9),
            reopened_n=Count("pk", filter=Q(reopened=True)),
        )
        .order_by("bucket")
    )
    return {
        "filters": filters.as_dict(),
        "source": source,
        "as_of": clock.now() if source == "live" else rollup_as_of(),
        "min_cases": min_cases,
        "time_to_restore": {
            "wall_clock": distribution(
                restore["wall_cases"], restore["wall_p50"], restore["wall_p90"], min_cases
            ),
            "business": distribution(
                restore["business_cases"],
                restore["business_p50"],
                restore["business_p90"],
                min_cases,
            ),
        },
        "first_contact_resolution": rate(restore["first_contact_n"], cases, min_cases),
        "reopen_rate": rate(restore["reopened_n"], cases, min_cases),
        "user_impact_hours": {
            "value": _round((restore["impact_seconds"] or 0) / HOUR, 2),
            "cases": cases,
            "too_few_cases": cases < min_cases,
        },
        "waiting": waiting(restore=restore, cases=cases),
        "satisfaction": satisfaction(filters=filters, min_cases=min_cases, source=source),
        "backlog": backlog(filters=filters, min_cases=min_cases),
        "repeat_incidents": []
        if brief
        else repeat_incidents(rows=rows, filters=filters, min_cases=min_cases),
        "problems": problems(filters=filters, min_cases=min_cases, source=source),
        "trend": [
            {
                "bucket": row["bucket"].date().isoformat(),
                "resolved": row["resolved"],
                "p50_hours": _round(row["p50"] / HOUR if row["p50"] is not None else None, 2),
                "p90_hours": _round(row["p90"] / HOUR if row["p90"] is not None else None, 2),
                "reopen_rate": rate(row["reopened_n"], row["resolved"], min_cases),
            }
            for row in ([] if brief else trend)
        ],
    }


def waiting(*, restore: dict[str, Any], cases: int) -> dict[str, Any]:
    """Of the restorations in the period, how their wall-clock time to restore splits between
    the SLA pauses by cause (``incidents.SlaPause``: waiting on the requester, a vendor, a
    change, something else) and IT (the rest: the clock was running)."""
    wall_total = restore["wall_total"] or 0.0
    paused = {cause: restore[f"wait_{cause}"] or 0.0 for cause in PAUSE_CAUSES}
    parts = [*paused.items(), ("it", max(wall_total - sum(paused.values()), 0.0))]
    return {
        "cases": cases,
        "total_hours": _round(wall_total / HOUR, 2),
        "by_cause": [
            {
                "cause": cause,
                "hours": _round(seconds / HOUR, 2),
                "share": round(seconds / wall_total, 4) if wall_total else None,
            }
            for cause, seconds in parts
        ],
    }


def satisfaction(*, filters: MetricFilters, min_cases: int, source: str = "live") -> dict[str, Any]:
    """Ratings given in the period, against the resolutions made in it (``event_facts``: live
    or from the rollups); the latest comments are read from the ratings themselves."""
    figures = event_facts.in_period(EventFact.Kind.RATED, source, filters).aggregate(
        ratings=Count("pk"),
        average=Avg("f_value"),
        satisfied=Count("pk", filter=Q(f_value__gte=SATISFIED_FROM)),
    )
    resolutions = event_facts.in_period(EventFact.Kind.RESOLVED, source, filters).count()
    ratings = Satisfaction.objects.filter(
        _incident_scope("incident__", filters),
        created_at__gte=filters.start,
        created_at__lt=filters.end,
    )
    latest = (
        ratings.exclude(comment="")
        .order_by("-created_at", "-pk")
        .values("incident_id", "rating", "comment", "created_at")[:5]
    )
    return {
        "ratings": figures["ratings"],
        "average": _round(figures["average"], 2),
        "too_few_cases": figures["ratings"] < min_cases,
        "satisfied": rate(figures["satisfied"], figures["ratings"], min_cases),
        "response_rate": rate(figures["ratings"], resolutions, min_cases),
        "latest_comments": [
            {
                "incident": f"INC-{row['incident_id']:06d}",
                "rating": row["rating"],
                "comment": row["comment"][:500],
                "created_at": row["created_at"],
            }
            for row in latest
        ],
    }


def backlog(*, filters: MetricFilters, min_cases: int) -> dict[str, Any]:
    """Open incidents now (the period does not apply), by age."""
    now = clock.now()
    age = Seconds(Value(now, output_field=DateTimeField()), F("created_at"))
    buckets = {
        name: Count(
            "pk",
            filter=Q(created_at__lte=now - timedelta(days=lo))
            & (Q(created_at__gt=now - timedelta(days=hi)) if hi is not None else Q()),
        )
        for name, lo, hi in BACKLOG_BUCKETS
    }
    figures = Incident.objects.filter(
        _incident_scope("", filters), status__in=OPEN_STATUSES
    ).aggregate(
        open=Count("pk"),
        p50=PercentileCont(age, 0.5),
        p90=PercentileCont(age, 0.9),
        **buckets,
    )
    return {
        "open": figures["open"],
        "age": distribution(figures["open"], figures["p50"], figures["p90"], min_cases),
        "by_age": [{"age": name, "open": figures[name]} for name, _, _ in BACKLOG_BUCKETS],
    }


def repeat_incidents(
    *, rows: QuerySet[Any], filters: MetricFilters, min_cases: int
) -> list[dict[str, Any]]:
    """Per service: incidents created in the period, and how many were repeats."""
    per_service = (
        rows.filter(
            service_id__isnull=False, created_at__gte=filters.start, created_at__lt=filters.end
        )
        .values("service_id")
        .annotate(incidents=Count("pk"), repeats=Count("pk", filter=Q(is_repeat=True)))
        .order_by("-repeats", "service_id")
    )
    figures = list(per_service)
    names = dict(
        BusinessService.objects.filter(pk__in=[r["service_id"] for r in figures]).values_list(
            "pk", "name"
        )
    )
    return [
        {
            "service_id": row["service_id"],
            "service": names.get(row["service_id"], ""),
            "incidents": row["incidents"],
            "repeats": rate(row["repeats"], row["incidents"], min_cases),
        }
        for row in figures
    ]


def problems(*, filters: MetricFilters, min_cases: int, source: str = "live") -> dict[str, Any]:
    """Problems that published a workaround or were fixed in the period; how long a
    workaround took to reach the people affected."""
    scope = Q()
    if filters.service_id is not None:
        scope &= Q(services__id=filters.service_id)
    if filters.team_id is not None:
        scope &= Q(owner_team_id=filters.team_id)
    in_scope = Problem.objects.filter(scope).values("pk")
    counted = Problem.objects.filter(pk__in=in_scope).aggregate(
        workaround_published=Count(
            "pk",
            filter=Q(
                workaround_published_at__gte=filters.start,
                workaround_published_at__lt=filters.end,
            ),
        ),
        fixed=Count("pk", filter=Q(resolved_at__gte=filters.start, resolved_at__lt=filters.end)),
        workaround_then_fixed=Count(
            "pk",
            filter=Q(
                resolved_at__gte=filters.start,
                resolved_at__lt=filters.end,
                workaround_published_at__isnull=False,
            ),
        ),
    )
    reached = event_facts.in_period(EventFact.Kind.WORKAROUND, source, filters).aggregate(
        **_duration_aggregates("reach", F("f_value"))
    )
    return {
        **counted,
        "workaround_reach": distribution(
            reached["reach_cases"], reached["reach_p50"], reached["reach_p90"], min_cases
        ),
    }
