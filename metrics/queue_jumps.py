"""Queue jumps (the queue-order value gate): how often tickets were moved ahead of the normal
order, by the requester's seniority band and VIP flag, and the added wait of the tickets they
were moved ahead of. Built from the ``incident.queue_jumped`` events and the incidents' own
times, in the database. Definitions: ``docs/metrics.md`` (Exceptions and fairness)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from incidents.models import Incident, IncidentEvent

from .expressions import Seconds
from .filtersets import MetricFilters
from .models import QueueJumpFact

JUMP_EVENT = "incident.queue_jumped"
# A ticket counts as passed only if it was created at most this long before the jump: the
# queue a jump overtakes is the recent one (and it keeps the lookup an index range).
QUEUE_HORIZON = timedelta(days=7)


def _jumped() -> Any:
    """The tickets a jump (an event row, referred to from a subquery) moved ahead of: same
    team, not the jumper, created in the ``QUEUE_HORIZON`` before the jump and at the jump
    still waiting for a first response,
    not moved ahead themselves, and ahead of or level with the jumper in the normal order
    (priority)."""
    return (
        Incident.objects.order_by()
        .filter(
            team_id=OuterRef("incident__team_id"),
            queue_rank=0,
            created_at__lte=OuterRef("created_at"),
            created_at__gte=ExpressionWrapper(
                OuterRef("created_at") - Value(QUEUE_HORIZON), output_field=DateTimeField()
            ),
            priority__lte=OuterRef("incident__priority"),
        )
        .exclude(pk=OuterRef("incident_id"))
        .filter(Q(first_response_at__isnull=True) | Q(first_response_at__gt=OuterRef("created_at")))
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=OuterRef("created_at")))
    )


def jump_rows() -> Any:
    """Every queue-jump event with what it did: the tickets it passed (``jumped``), how many of
    them were answered after the jumper (``answered``) and their added wait in seconds — for
    each of those, the time from the jumper's first response (or the jump, if later) to its own
    first response — plus the jumper's service, team, priority and requester band / VIP flag.
    The live figures aggregate this query; ``QueueJumpFact`` is a copy of it."""
    jumped = _jumped()
    count = jumped.annotate(n=Func(F("pk"), function="COUNT")).values("n")
    jumper_served = Greatest(OuterRef("incident__first_response_at"), OuterRef("created_at"))
    waited = (
        jumped.filter(first_response_at__gt=OuterRef("incident__first_response_at"))
        .annotate(s=Func(Seconds(F("first_response_at"), jumper_served), function="SUM"))
        .values("s")
    )
    answered = (
        jumped.filter(first_response_at__gt=OuterRef("incident__first_response_at"))
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return (
        IncidentEvent.objects.order_by()
        .filter(type=JUMP_EVENT)
        .annotate(
            jumped_n=Coalesce(Subquery(count, output_field=IntegerField()), 0),
            answered_n=Coalesce(Subquery(answered, output_field=IntegerField()), 0),
            waited_s=Coalesce(Subquery(waited, output_field=FloatField()), 0.0),
        )
    )


JUMP_FACT_SOURCES = {
    "event_id": F("pk"),
    "incident_id": F("incident_id"),
    "created_at": F("created_at"),
    "service_id": F("incident__service_id"),
    "team_id": F("incident__team_id"),
    "priority": F("incident__priority"),
    "requester_band": F("incident__requester__seniority_band"),
    "requester_vip": F("incident__requester__is_vip"),
    "jumped": F("jumped_n"),
    "answered": F("answered_n"),
    "waited_seconds": F("waited_s"),
}


def jumps_by_group(
    filters: MetricFilters, scope: Q, source: str = "live"
) -> dict[tuple[str, bool], dict[str, Any]]:
    """Per (band, VIP) of the jumper's requester: jumps in the period, tickets jumped, and the
    added wait (``jump_rows``), live or from ``QueueJumpFact``."""
    rows: Any
    if source == "rollup":
        rows = QueueJumpFact.objects.order_by().filter(
            created_at__gte=filters.start, created_at__lt=filters.end
        )
        rows = rows.filter(fact_scope(filters)).values(
            band=F("requester_band"), vip=F("requester_vip")
        )
        jumped, answered, waited = "jumped", "answered", "waited_seconds"
    else:
        rows = (
            jump_rows()
            .filter(created_at__gte=filters.start, created_at__lt=filters.end)
            .filter(scope)
            .values(
                band=F("incident__requester__seniority_band"), vip=F("incident__requester__is_vip")
            )
        )
        jumped, answered, waited = "jumped_n", "answered_n", "waited_s"
    events = rows.annotate(
        jumps=Count("pk"),
        jumped_sum=Sum(jumped),
        answered_sum=Sum(answered),
        waited_sum=Sum(waited, output_field=FloatField()),
    )
    return {
        (row["band"], row["vip"]): {
            "jumps": row["jumps"],
            "jumped": row["jumped_sum"],
            "answered": row["answered_sum"],
            "waited": row["waited_sum"],
        }
        for row in events
    }


def fact_scope(filters: MetricFilters) -> Q:
    """The service / team / priority filters on a fact table's own columns."""
    return filters.scope("service_id", "team_id", "priority")


def incident_scope(filters: MetricFilters) -> Q:
    return filters.scope("incident__service_id", "incident__team_id", "incident__priority")
