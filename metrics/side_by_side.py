"""Side by side, per service: SLA resolution compliance (on the matrix priority, the published
figure) next to time to restore and satisfaction, with a marker — in words — where the SLA
looks green but customers fare poorly, and the reverse. The thresholds are data
(``MetricsSettings``); the verdict is a pure function of the figures. ``docs/metrics.md``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Q

from org.models import BusinessService
from servicedesk import clock

from . import event_facts
from .expressions import PercentileCont
from .filtersets import MetricFilters
from .models import EventFact, MetricsSettings
from .selectors import (
    SATISFIED_FROM,
    _round,
    _rows,
    _scoped,
    distribution,
    metrics_settings,
    rate,
    resolve_source,
    rollup_as_of,
)

SLA_GREEN_OUTCOMES_POOR = "sla_green_outcomes_poor"
SLA_RED_OUTCOMES_GOOD = "sla_red_outcomes_good"
CONSISTENT = "consistent"
TOO_FEW = "too_few_cases"
MARKER_LABELS = {
    SLA_GREEN_OUTCOMES_POOR: "SLA green, outcomes poor",
    SLA_RED_OUTCOMES_GOOD: "SLA red, outcomes good",
    CONSISTENT: "SLA and outcomes agree",
    TOO_FEW: "Too few cases to judge",
}


@dataclass(frozen=True)
class Thresholds:
    sla_green_from: float
    satisfied_poor_below: float
    satisfied_good_from: float
    restore_poor_hours: float

    @classmethod
    def of(cls, settings: MetricsSettings) -> Thresholds:
        return cls(
            sla_green_from=float(settings.sla_green_from),
            satisfied_poor_below=float(settings.satisfied_poor_below),
            satisfied_good_from=float(settings.satisfied_good_from),
            restore_poor_hours=float(settings.restore_poor_hours),
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "sla_green_from": self.sla_green_from,
            "satisfied_poor_below": self.satisfied_poor_below,
            "satisfied_good_from": self.satisfied_good_from,
            "restore_poor_hours": self.restore_poor_hours,
        }


def verdict(
    compliance: dict[str, Any], restore: dict[str, Any], satisfied: dict[str, Any], t: Thresholds
) -> tuple[str, list[str]]:
    """The marker and the reasons for it. SLA green: compliance at or above the threshold.
    Outcomes poor: share satisfied below its floor, or median time to restore above its
    ceiling. Outcomes good: share satisfied at or above its bar and median time to restore
    within the ceiling. A figure over too few cases judges nothing."""
    if compliance["too_few_cases"] or compliance["value"] is None:
        return TOO_FEW, ["too few SLA cases"]
    sla_green = compliance["value"] >= t.sla_green_from
    known_sat = not satisfied["too_few_cases"] and satisfied["value"] is not None
    known_restore = not restore["too_few_cases"] and restore["p50_hours"] is not None
    reasons: list[str] = []
    if known_sat and satisfied["value"] < t.satisfied_poor_below:
        reasons.append(f"satisfied {satisfied['value'] * 100:.0f}% < {t.satisfied_poor_below:.0%}")
    if known_restore and restore["p50_hours"] > t.restore_poor_hours:
        reasons.append(f"median restore {restore['p50_hours']} h > {t.restore_poor_hours:g} h")
    if sla_green and reasons:
        return SLA_GREEN_OUTCOMES_POOR, reasons
    good = (
        known_sat
        and known_restore
        and satisfied["value"] >= t.satisfied_good_from
        and restore["p50_hours"] <= t.restore_poor_hours
    )
    if not sla_green and good:
        return SLA_RED_OUTCOMES_GOOD, [
            f"compliance {compliance['value'] * 100:.0f}% < {t.sla_green_from:.0%}",
            f"satisfied {satisfied['value'] * 100:.0f}% ≥ {t.satisfied_good_from:.0%}",
        ]
    if not known_sat and not known_restore:
        return TOO_FEW, ["too few outcome cases"]
    return CONSISTENT, []


def side_by_side(*, filters: MetricFilters, source: str = "auto") -> dict[str, Any]:
    settings = metrics_settings()
    min_cases, thresholds = settings.min_cases, Thresholds.of(settings)
    source = resolve_source(source)
    rows = _scoped(_rows(source), filters).filter(
        service_id__isnull=False, resolved_at__gte=filters.start, resolved_at__lt=filters.end
    )
    per_service = {
        row["service_id"]: row
        for row in rows.values("service_id")
        .annotate(
            restored=Count("pk"),
            judged=Count("pk", filter=Q(resolution_met_matrix__isnull=False)),
            met=Count("pk", filter=Q(resolution_met_matrix=True)),
            p50=PercentileCont(F("wall_seconds"), 0.5),
            p90=PercentileCont(F("wall_seconds"), 0.9),
        )
        .order_by()
    }
    ratings = {
        row["rated_service"]: row
        for row in event_facts.in_period(
            EventFact.Kind.RATED, source, filters, Q(f_service__isnull=False)
        )
        .values(rated_service=F("f_service"))
        .annotate(
            ratings=Count("pk"),
            average=Avg("f_value"),
            satisfied=Count("pk", filter=Q(f_value__gte=SATISFIED_FROM)),
        )
        .order_by()
    }
    ids = set(per_service) | set(ratings)
    names = dict(BusinessService.objects.filter(pk__in=ids).values_list("pk", "name"))
    services = []
    for service_id in sorted(ids, key=lambda pk: (names.get(pk, ""), pk)):
        s = per_service.get(service_id, {"restored": 0, "judged": 0, "met": 0, "p50": None})
        g = ratings.get(service_id, {"ratings": 0, "average": None, "satisfied": 0})
        compliance = rate(s["met"], s["judged"], min_cases)
        restore = distribution(s["restored"], s["p50"], s.get("p90"), min_cases)
        satisfied = rate(g["satisfied"], g["ratings"], min_cases)
        marker, reasons = verdict(compliance, restore, satisfied, thresholds)
        services.append(
            {
                "service_id": service_id,
                "service": names.get(service_id, ""),
                "sla_compliance": compliance,
                "time_to_restore": restore,
                "satisfied": satisfied,
                "average_rating": _round(g["average"], 2),
                "marker": marker,
                "marker_label": MARKER_LABELS[marker],
                "reasons": reasons,
            }
        )
    return {
        "filters": filters.as_dict(),
        "source": source,
        "as_of": clock.now() if source == "live" else rollup_as_of(),
        "min_cases": min_cases,
        "thresholds": thresholds.as_dict(),
        "services": services,
    }
