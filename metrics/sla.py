"""SLA figures: first-response and resolution compliance, breaches by team and priority, time
to acknowledge and paused time — on the matrix priority (the published figure) and, beside it,
on the effective priority, so a priority changed by a bypass cannot quietly improve what is
published. Computed in the database from the incident rows (live) or the daily facts (rollup),
which carry the same SLA columns (``metrics.sla_rows``). Definitions: ``docs/metrics.md``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import Count, F, FloatField, Q, QuerySet, Sum

from org.models import Team
from servicedesk import clock

from .filtersets import MetricFilters
from .selectors import (
    HOUR,
    _duration_aggregates,
    _round,
    _rows,
    _trunc,
    distribution,
    metrics_settings,
    rate,
    resolve_source,
    rollup_as_of,
)
from .sla_rows import PAUSE_CAUSES

BASES = ("matrix", "effective")
PUBLISHED = "matrix"


def _columns(basis: str, source: str) -> tuple[str, str, str]:
    """(priority column, response verdict, resolution verdict) of a basis."""
    if basis == "matrix":
        return (
            "matrix_priority" if source == "rollup" else "m_priority",
            "response_met_matrix",
            "resolution_met_matrix",
        )
    return "priority", "response_met", "resolution_met"


def _period(filters: MetricFilters) -> tuple[Q, Q]:
    responded = Q(response_settled_at__gte=filters.start, response_settled_at__lt=filters.end)
    resolved = Q(resolved_at__gte=filters.start, resolved_at__lt=filters.end)
    return responded, resolved


def _scoped(rows: QuerySet[Any], filters: MetricFilters, priority_column: str) -> QuerySet[Any]:
    if filters.service_id is not None:
        rows = rows.filter(service_id=filters.service_id)
    if filters.team_id is not None:
        rows = rows.filter(team_id=filters.team_id)
    if filters.priority is not None:
        rows = rows.filter(**{priority_column: filters.priority})
    return rows


def _verdicts(responded: Q, resolved: Q, response: str, resolution: str) -> dict[str, Any]:
    return {
        "response_judged": Count("pk", filter=responded & Q(**{f"{response}__isnull": False})),
        "response_met_n": Count("pk", filter=responded & Q(**{response: True})),
        "resolution_judged": Count("pk", filter=resolved & Q(**{f"{resolution}__isnull": False})),
        "resolution_met_n": Count("pk", filter=resolved & Q(**{resolution: True})),
    }


def _compliance(row: dict[str, Any], min_cases: int) -> dict[str, Any]:
    judged_r, met_r = row["response_judged"], row["response_met_n"]
    judged_s, met_s = row["resolution_judged"], row["resolution_met_n"]
    return {
        "first_response": rate(met_r, judged_r, min_cases),
        "resolution": rate(met_s, judged_s, min_cases),
        "response_breaches": judged_r - met_r,
        "resolution_breaches": judged_s - met_s,
    }


COUNTS = ("response_judged", "response_met_n", "resolution_judged", "resolution_met_n")
ADDITIVE = (
    "resolved_n",
    "paused_n",
    "paused_total",
    *(f"paused_{cause}" for cause in PAUSE_CAUSES),
    "bypassed_resolved",
    "bypassed_met_effective",
    "bypassed_met_matrix",
    "bypassed_not_judged",
)


def _sum(groups: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: sum(g[k] or 0 for g in groups) for k in keys}


def grouped_figures(
    rows: QuerySet[Any], filters: MetricFilters, source: str
) -> list[dict[str, Any]]:
    """One pass over the period's rows: per team, effective priority and matrix priority, the
    verdict counts of both bases (``m_`` and ``e_``) and the additive figures. Both bases and
    their totals are sums of these groups (the priority filter picks groups by the basis's
    own priority)."""
    responded, resolved = _period(filters)
    matrix_priority = _columns("matrix", source)[0]
    aggregates: dict[str, Any] = {}
    for basis, prefix in (("matrix", "m_"), ("effective", "e_")):
        _, response, resolution = _columns(basis, source)
        verdicts = _verdicts(responded, resolved, response, resolution)
        aggregates.update({prefix + k: v for k, v in verdicts.items()})
    bypassed = resolved & Q(bypassed_priority=True)
    aggregates.update(
        resolved_n=Count("pk", filter=resolved),
        paused_n=Count("pk", filter=resolved & Q(paused_seconds__gt=0)),
        paused_total=Sum("paused_seconds", filter=resolved, output_field=FloatField()),
        **{
            f"paused_{cause}": Sum(
                f"wait_{cause}_seconds", filter=resolved, output_field=FloatField()
            )
            for cause in PAUSE_CAUSES
        },
        bypassed_resolved=Count("pk", filter=bypassed),
        bypassed_met_effective=Count("pk", filter=bypassed & Q(resolution_met=True)),
        bypassed_met_matrix=Count("pk", filter=bypassed & Q(resolution_met_matrix=True)),
        bypassed_not_judged=Count("pk", filter=bypassed & Q(resolution_met_matrix__isnull=True)),
    )
    # the trend (published basis): restorations per bucket of ``resolved_at``
    aggregates.update(
        t_resolved=Count("pk", filter=resolved),
        t_judged=Count("pk", filter=resolved & Q(resolution_met_matrix__isnull=False)),
        t_met=Count("pk", filter=resolved & Q(resolution_met_matrix=True)),
        t_judged_effective=Count("pk", filter=resolved & Q(resolution_met__isnull=False)),
        t_met_effective=Count("pk", filter=resolved & Q(resolution_met=True)),
    )
    return list(
        # no priority filter here: each basis picks its groups by its own priority
        _scoped(rows, replace(filters, priority=None), "priority")
        .filter(responded | resolved)
        .values(
            "team_id",
            e_priority=F("priority"),
            m_priority_=F(matrix_priority),
            bucket=_trunc(filters, "resolved_at"),
        )
        .annotate(**aggregates)
        .order_by("team_id", "e_priority", "m_priority_")
    )


def basis_figures(
    groups: list[dict[str, Any]],
    filters: MetricFilters,
    basis: str,
    names: dict[int, str],
    min_cases: int,
) -> dict[str, Any]:
    """A basis's figures from the combined groups: per team and priority of the basis; the
    priority rows and the totals are sums of those."""
    prefix, key = ("m_", "m_priority_") if basis == "matrix" else ("e_", "e_priority")
    if filters.priority is not None:
        groups = [g for g in groups if g[key] == filters.priority]
    cells: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for g in groups:
        cells.setdefault((g["team_id"], g[key]), []).append(g)

    def compliance(select: list[dict[str, Any]]) -> dict[str, Any]:
        total = _sum(select, tuple(prefix + c for c in COUNTS))
        return _compliance({c: total[prefix + c] for c in COUNTS}, min_cases)

    priorities = sorted({p for _, p in cells}, key=lambda p: (p is None, p))
    return {
        "basis": basis,
        **compliance(groups),
        "by_priority": [
            {"priority": p, **compliance([g for g in groups if g[key] == p])} for p in priorities
        ],
        "by_team_and_priority": [
            {
                "team_id": team_id,
                "team": names.get(team_id, "No team"),
                "priority": p,
                **compliance(select),
            }
            for (team_id, p), select in sorted(
                cells.items(), key=lambda c: (c[0][0] is None, c[0][0], c[0][1] is None, c[0][1])
            )
        ],
    }


def sla(*, filters: MetricFilters, source: str = "auto", brief: bool = False) -> dict[str, Any]:
    """The SLA figures for the period (``docs/metrics.md``): one grouped pass for both bases
    and the additive figures, one for the distributions, one for the trend. ``brief`` (the
    printable review shows compliance only) leaves out the distributions (no cases) and the
    trend."""
    min_cases = metrics_settings().min_cases
    source = resolve_source(source)
    rows = _rows(source)
    responded, resolved = _period(filters)
    groups = grouped_figures(rows, filters, source)
    names = dict(
        Team.objects.filter(pk__in={g["team_id"] for g in groups if g["team_id"]}).values_list(
            "pk", "name"
        )
    )
    bases = {basis: basis_figures(groups, filters, basis, names, min_cases) for basis in BASES}
    effective = (
        [g for g in groups if g["e_priority"] == filters.priority]
        if filters.priority is not None
        else groups
    )
    figures = _sum(effective, ADDITIVE)
    distributions = {
        **_duration_aggregates("ack", F("ack_seconds"), only=responded),
        **_duration_aggregates("ack_business", F("ack_business_seconds"), only=responded),
        **_duration_aggregates(
            "paused", F("paused_seconds"), only=resolved & Q(paused_seconds__gt=0)
        ),
    }
    figures.update(
        {key: 0 if key.endswith("_cases") else None for key in distributions}
        if brief
        else _scoped(rows, filters, "priority")
        .filter(responded | resolved)
        .aggregate(**distributions)
    )
    published = (
        [g for g in groups if g["m_priority_"] == filters.priority]
        if filters.priority is not None
        else groups
    )
    buckets: dict[Any, list[dict[str, Any]]] = {}
    for g in published:
        if g["t_resolved"]:
            buckets.setdefault(g["bucket"], []).append(g)
    trend_keys = ("t_judged", "t_met", "t_judged_effective", "t_met_effective")
    trend = [{"bucket": b, **_sum(buckets[b], trend_keys)} for b in sorted(buckets)]
    resolved_n = figures["resolved_n"]
    return {
        "filters": filters.as_dict(),
        "source": source,
        "as_of": clock.now() if source == "live" else rollup_as_of(),
        "min_cases": min_cases,
        "published": PUBLISHED,
        "matrix": bases["matrix"],
        "effective": bases["effective"],
        "bypassed": {
            "resolved": figures["bypassed_resolved"],
            "met_on_effective": figures["bypassed_met_effective"],
            "met_on_matrix": figures["bypassed_met_matrix"],
            "not_judged_on_matrix": figures["bypassed_not_judged"],
        },
        "time_to_acknowledge": {
            "wall_clock": distribution(
                figures["ack_cases"], figures["ack_p50"], figures["ack_p90"], min_cases
            ),
            "business": distribution(
                figures["ack_business_cases"],
                figures["ack_business_p50"],
                figures["ack_business_p90"],
                min_cases,
            ),
        },
        "paused": {
            "incidents_paused": rate(figures["paused_n"], resolved_n, min_cases),
            "total_hours": _round((figures["paused_total"] or 0.0) / HOUR, 2),
            "per_paused_incident": distribution(
                figures["paused_cases"], figures["paused_p50"], figures["paused_p90"], min_cases
            ),
            "by_cause": [
                {"cause": cause, "hours": _round((figures[f"paused_{cause}"] or 0.0) / HOUR, 2)}
                for cause in PAUSE_CAUSES
            ],
        },
        "trend": [
            {
                "bucket": row["bucket"].date().isoformat(),
                "resolution": rate(row["t_met"], row["t_judged"], min_cases),
                "resolution_effective": rate(
                    row["t_met_effective"], row["t_judged_effective"], min_cases
                ),
            }
            for row in ([] if brief else trend)
        ],
    }
