"""The dated things outcome figures count by when they happened — resolutions, ratings, the
first workaround on an incident — as one row shape, live from the incidents app's tables or
from ``EventFact`` (a copy of the live rows, rebuilt with the incident's creation day).

Every row has ``f_created`` (when it happened), ``f_service``, ``f_team``, ``f_priority`` (the
incident's) and ``f_value`` (the rating; the workaround's reach in seconds; null for a
resolution), so a figure is one aggregate whatever the source."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, FloatField, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast

from incidents.models import IncidentEvent, Satisfaction

from .expressions import Seconds
from .filtersets import MetricFilters
from .models import EventFact

RESOLVED_EVENT = "incident.resolved"
WORKAROUND_EVENT = "incident.workaround_published"
KINDS = tuple(EventFact.Kind.values)


def live_rows(kind: str) -> QuerySet[Any]:
    """The live rows of one kind (every incident), with the common columns."""
    if kind == EventFact.Kind.RATED:
        rows: QuerySet[Any] = Satisfaction.objects.order_by().annotate(
            f_value=Cast(F("rating"), FloatField())
        )
    elif kind == EventFact.Kind.RESOLVED:
        rows = (
            IncidentEvent.objects.order_by()
            .filter(type=RESOLVED_EVENT)
            .annotate(f_value=Cast(Value(None), FloatField()))
        )
    else:
        earlier = IncidentEvent.objects.filter(
            incident=OuterRef("incident"),
            type=WORKAROUND_EVENT,
            created_at__lt=OuterRef("created_at"),
        )
        rows = (
            IncidentEvent.objects.order_by()
            .filter(type=WORKAROUND_EVENT)
            .exclude(Exists(earlier))
            .annotate(f_value=Seconds(F("created_at"), F("incident__created_at")))
        )
    return rows.annotate(
        f_created=F("created_at"),
        f_service=F("incident__service_id"),
        f_team=F("incident__team_id"),
        f_priority=F("incident__priority"),
    )


# the columns ``EventFact`` copies from ``live_rows`` (besides ``kind`` and ``day``)
FACT_SOURCES = {
    "source_id": F("pk"),
    "incident_id": F("incident_id"),
    "created_at": F("f_created"),
    "service_id": F("f_service"),
    "team_id": F("f_team"),
    "priority": F("f_priority"),
    "value": F("f_value"),
}


def rows(kind: str, source: str) -> QuerySet[Any]:
    if source == "rollup":
        return (
            EventFact.objects.order_by()
            .filter(kind=kind)
            .annotate(
                f_created=F("created_at"),
                f_service=F("service_id"),
                f_team=F("team_id"),
                f_priority=F("priority"),
                f_value=F("value"),
            )
        )
    return live_rows(kind)


def in_period(kind: str, source: str, filters: MetricFilters, scope: Q | None = None) -> Any:
    """The rows of one kind that happened in the period, on incidents in scope."""
    q = Q(f_created__gte=filters.start, f_created__lt=filters.end)
    q &= filters.scope("f_service", "f_team", "f_priority")
    return rows(kind, source).filter(q & (scope or Q()))
