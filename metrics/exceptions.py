"""Exceptions and fairness: how often process gates are bypassed, how requests fare, and who
benefits — computed in the database from the bypass app's tables (read only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from bypass.choices import Kind, Ratification, ReasonCategory, State, Treatment
from bypass.models import BypassItem, BypassRequest, BypassUse, GateCounter
from improvements.choices import DebtStatus, Dimension
from improvements.models import ProcessDebt
from incidents.models import Incident
from org.choices import SeniorityBand
from servicedesk import clock

from .change_outcomes import change_rows
from .expressions import PercentileCont, Seconds
from .filtersets import MetricFilters
from .models import IncidentFact
from .queue_jumps import fact_scope, incident_scope, jumps_by_group
from .selectors import (
    _duration_aggregates,
    distribution,
    metrics_settings,
    rate,
    resolve_source,
    restored_q,
    rollup_as_of,
)

APPROVED_STATES = (
    State.APPROVED,
    State.ACTIVE,
    State.CONSUMED,
    State.EXPIRED,
    State.REVOKED,
    State.UNDER_REVIEW,
    State.CLOSED,
)
PENDING = (State.SUBMITTED, State.IN_REVIEW, State.AWAITING_REQUESTER)
INCIDENT_SUBJECT = "incidents.incident"


def _request_scope(filters: MetricFilters) -> Q:
    q = Q()
    if filters.service_id is not None:
        q &= Q(service_id=filters.service_id)
    if filters.team_id is not None:
        q &= Q(team_id=filters.team_id)
    return q


def exceptions(*, filters: MetricFilters) -> dict[str, Any]:
    min_cases = metrics_settings().min_cases
    counters = (
        GateCounter.objects.filter(day__gte=filters.start_date, day__lte=filters.end_date)
        .values("gate_id")
        .annotate(
            evaluations_sum=Sum("evaluations"),
            blocked_sum=Sum("blocked"),
            bypassed_sum=Sum("bypassed"),
        )
        .order_by("gate_id")
    )
    gates = [
        {
            "gate_id": row["gate_id"],
            "evaluations": row["evaluations_sum"] or 0,
            "blocked": row["blocked_sum"] or 0,
            "bypassed": row["bypassed_sum"] or 0,
            "per_evaluation": rate(
                row["bypassed_sum"] or 0, row["evaluations_sum"] or 0, min_cases
            ),
            "per_block": rate(row["bypassed_sum"] or 0, row["blocked_sum"] or 0, min_cases),
        }
        for row in counters
    ]
    submitted = BypassRequest.objects.filter(
        _request_scope(filters),
        submitted_at__gte=filters.start,
        submitted_at__lt=filters.end,
    )
    funnel = submitted.aggregate(
        requested=Count("pk"),
        approved=Count("pk", filter=Q(state__in=APPROVED_STATES)),
        rejected=Count("pk", filter=Q(state=State.REJECTED)),
        lapsed=Count("pk", filter=Q(state=State.LAPSED)),
        withdrawn=Count("pk", filter=Q(state=State.WITHDRAWN)),
        pending=Count("pk", filter=Q(state__in=PENDING)),
    )
    reasons = dict(
        submitted.values("reason_category")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("reason_category", "n")
    )
    latency = BypassRequest.objects.filter(
        _request_scope(filters),
        decided_at__gte=filters.start,
        decided_at__lt=filters.end,
        submitted_at__isnull=False,
    ).aggregate(**_duration_aggregates("latency", Seconds(F("decided_at"), F("submitted_at"))))
    return {
        "filters": filters.as_dict(),
        "source": "live",
        "min_cases": min_cases,
        "not_applicable": ["priority"] if filters.priority is not None else [],
        "gates": gates,
        "funnel": {
            **funnel,
            "approval_rate": rate(
                funnel["approved"], funnel["approved"] + funnel["rejected"], min_cases
            ),
        },
        "reasons": [
            {
                "reason": value,
                "label": str(label),
                "requests": rate(reasons.get(value, 0), funnel["requested"], min_cases),
            }
            for value, label in ReasonCategory.choices
        ],
        "approval_latency": distribution(
            latency["latency_cases"], latency["latency_p50"], latency["latency_p90"], min_cases
        ),
        "break_glass": _break_glass(filters, min_cases),
        "process_debt": _open_debt(filters),
        "work_outcomes": work_outcomes(filters, min_cases),
    }


CHANGE_SUBJECT = "changes.change"


def _bypassed_at(gate_id: str, subject_type: str) -> Any:
    """The ids of the subjects of one type on which a bypass was used at ``gate_id``."""
    return BypassUse.objects.filter(gate_id=gate_id, request__subject_type=subject_type).values(
        "request__subject_id"
    )


def _side(prefix: str, figures: dict[str, Any], min_cases: int) -> dict[str, Any]:
    return {
        "cases": figures[f"{prefix}_cases"],
        "rate": rate(figures[f"{prefix}_hits"], figures[f"{prefix}_cases"], min_cases),
        "duration": distribution(
            figures[f"{prefix}_cases"],
            figures[f"{prefix}_p50"],
            figures[f"{prefix}_p90"],
            min_cases,
        ),
    }


def work_outcomes(filters: MetricFilters, min_cases: int) -> list[dict[str, Any]]:
    """Per gate a bypass was used at (on an incident or a change, whenever used): the outcomes
    of the work whose bypass was used at that gate against the rest of the same kind of work
    in the period. Incidents: restorations in the period, reopen rate and wall-clock time to
    restore. Changes: changes implemented in the period, change failure rate and lead time.
    One query for the gates, one per kind of work that has some."""
    used = sorted(
        set(
            BypassUse.objects.filter(
                request__subject_type__in=[INCIDENT_SUBJECT, CHANGE_SUBJECT]
            ).values_list("gate_id", "request__subject_type")
        )
    )
    rows: list[dict[str, Any]] = []
    incident_gates = [gate for gate, kind in used if kind == INCIDENT_SUBJECT]
    change_gates = [gate for gate, kind in used if kind == CHANGE_SUBJECT]
    if incident_gates:
        work = Incident.objects.order_by().filter(
            fact_scope(filters),
            restored_q(),
            resolved_at__gte=filters.start,
            resolved_at__lt=filters.end,
        )
        rows += _per_gate(
            work,
            incident_gates,
            INCIDENT_SUBJECT,
            Q(reopened_count__gt=0),
            Seconds(F("resolved_at"), F("created_at")),
            min_cases,
            ("reopen_rate", "time_to_restore"),
        )
    if change_gates:
        rows += _per_gate(
            change_rows(filters),
            change_gates,
            CHANGE_SUBJECT,
            Q(failed=True),
            Seconds(F("ended_at"), Coalesce(F("submitted_at"), F("created_at"))),
            min_cases,
            ("change_failure_rate", "lead_time"),
        )
    return rows


def _per_gate(
    work: Any,
    gates: list[str],
    subject_type: str,
    hit: Q,
    duration: Any,
    min_cases: int,
    names: tuple[str, str],
) -> list[dict[str, Any]]:
    aggregates: dict[str, Any] = {}
    for i, gate in enumerate(gates):
        for side, only in (
            ("b", Q(pk__in=_bypassed_at(gate, subject_type))),
            ("n", ~Q(pk__in=_bypassed_at(gate, subject_type))),
        ):
            prefix = f"g{i}{side}"
            aggregates[f"{prefix}_cases"] = Count("pk", filter=only)
            aggregates[f"{prefix}_hits"] = Count("pk", filter=only & hit)
            aggregates[f"{prefix}_p50"] = PercentileCont(duration, 0.5, filter=only)
            aggregates[f"{prefix}_p90"] = PercentileCont(duration, 0.9, filter=only)
    figures = work.aggregate(**aggregates)
    return [
        {
            "gate_id": gate,
            "subject_type": subject_type,
            "rate_name": names[0],
            "duration_name": names[1],
            "bypassed": _side(f"g{i}b", figures, min_cases),
            "normal": _side(f"g{i}n", figures, min_cases),
        }
        for i, gate in enumerate(gates)
    ]


def _break_glass(filters: MetricFilters, min_cases: int) -> dict[str, Any]:
    """Break-glass declared in the period and how their verdicts stand now; the ratification
    latency of the verdicts given in the period (declaration → ratified or repudiated)."""
    glass = BypassRequest.objects.filter(_request_scope(filters), kind=Kind.BREAK_GLASS)
    undecided = Q(ratification=Ratification.NONE)
    counts = glass.filter(created_at__gte=filters.start, created_at__lt=filters.end).aggregate(
        declared=Count("pk"),
        ratified=Count("pk", filter=Q(ratification=Ratification.RATIFIED)),
        repudiated=Count("pk", filter=Q(ratification=Ratification.REPUDIATED)),
        awaiting=Count("pk", filter=undecided),
        overdue=Count("pk", filter=undecided & Q(ratification_due_at__lt=clock.now())),
    )
    latency = glass.filter(decided_at__gte=filters.start, decided_at__lt=filters.end).aggregate(
        **_duration_aggregates("ratify", Seconds(F("decided_at"), F("created_at")))
    )
    decided = counts["ratified"] + counts["repudiated"]
    return {
        **counts,
        "ratified_share": rate(counts["ratified"], decided, min_cases),
        "ratification_latency": distribution(
            latency["ratify_cases"], latency["ratify_p50"], latency["ratify_p90"], min_cases
        ),
    }


def _open_debt(filters: MetricFilters) -> list[dict[str, Any]]:
    """Process-debt items open now, per gate. A service or team filter keeps the items raised
    for that service or team (items raised per beneficiary are then left out)."""
    debt = ProcessDebt.objects.filter(status=DebtStatus.OPEN)
    if filters.service_id is not None:
        debt = debt.filter(dimension=Dimension.SERVICE, key_id=filters.service_id)
    if filters.team_id is not None:
        debt = debt.filter(dimension=Dimension.TEAM, key_id=filters.team_id)
    rows = debt.values("gate_id").annotate(open=Count("pk"), requests=Sum("request_count"))
    return [
        {"gate_id": r["gate_id"], "open": r["open"], "requests": r["requests"] or 0}
        for r in rows.order_by("gate_id")
    ]


def _per_100(count: int, tickets: int) -> float | None:
    return round(count * 100 / tickets, 2) if tickets else None


def fairness(*, filters: MetricFilters, source: str = "auto") -> dict[str, Any]:
    """Per beneficiary seniority band and VIP flag: tickets, resolution time, and approved
    bypasses and priority overrides per 100 tickets; the executive band against staff.
    Tickets, resolution times and queue jumps come from the rollups (``IncidentFact``,
    ``QueueJumpFact``) or live; bypasses and overrides are always read live (small tables)."""
    min_cases = metrics_settings().min_cases
    source = resolve_source(source)
    if source == "rollup":
        incidents: Any = IncidentFact.objects.order_by().filter(fact_scope(filters))
        group = {"band": F("requester_band"), "vip": F("requester_vip")}
        restored = Q(restored=True)
        wall: Any = F("wall_seconds")
    else:
        incidents = Incident.objects.order_by().filter(fact_scope(filters))
        group = {"band": F("requester__seniority_band"), "vip": F("requester__is_vip")}
        restored = restored_q()
        wall = Seconds(F("resolved_at"), F("created_at"))
    created = {
        (row["band"], row["vip"]): row["n"]
        for row in incidents.filter(created_at__gte=filters.start, created_at__lt=filters.end)
        .values(**group)
        .annotate(n=Count("pk"))
    }
    restore = {
        (row["band"], row["vip"]): row
        for row in incidents.filter(
            restored, resolved_at__gte=filters.start, resolved_at__lt=filters.end
        )
        .values(**group)
        .annotate(
            cases=Count("pk"),
            p50=PercentileCont(wall, 0.5),
            p90=PercentileCont(wall, 0.9),
        )
    }
    requests = BypassRequest.objects.filter(
        _request_scope(filters),
        subject_type=INCIDENT_SUBJECT,
        state__in=APPROVED_STATES,
        submitted_at__gte=filters.start,
        submitted_at__lt=filters.end,
    )
    beneficiary = {"band": F("beneficiary__seniority_band"), "vip": F("beneficiary__is_vip")}
    bypasses = {
        (row["band"], row["vip"]): row["n"]
        for row in requests.values(**beneficiary).annotate(n=Count("pk")).order_by()
    }
    overrides = {
        (row["band"], row["vip"]): row["n"]
        for row in BypassItem.objects.filter(
            treatment=Treatment.OVERRIDE, request__in=requests.values("pk")
        )
        .values(
            band=F("request__beneficiary__seniority_band"),
            vip=F("request__beneficiary__is_vip"),
        )
        .annotate(n=Count("request", distinct=True))
        .order_by()
    }
    jumps = jumps_by_group(filters, incident_scope(filters), source)
    rows = []
    for band, label in SeniorityBand.choices:
        for vip in (False, True):
            key = (band, vip)
            tickets = created.get(key, 0)
            if not tickets and key not in restore and key not in bypasses and key not in jumps:
                continue
            r = restore.get(key, {"cases": 0, "p50": None, "p90": None})
            j = jumps.get(key, {"jumps": 0, "jumped": 0, "answered": 0, "waited": None})
            rows.append(
                {
                    "band": band,
                    "band_label": str(label),
                    "vip": vip,
                    "tickets": tickets,
                    "resolution": distribution(r["cases"], r["p50"], r["p90"], min_cases),
                    "bypasses": bypasses.get(key, 0),
                    "bypasses_per_100": _per_100(bypasses.get(key, 0), tickets),
                    "overrides": overrides.get(key, 0),
                    "overrides_per_100": _per_100(overrides.get(key, 0), tickets),
                    "queue_jumps": j["jumps"],
                    "queue_jumps_per_100": _per_100(j["jumps"], tickets),
                    "jumped_tickets": j["jumped"] or 0,
                    "added_wait": _added_wait(j),
                    "too_few_cases": tickets < min_cases,
                }
            )

    def band_total(band: str, counts: dict[tuple[str, bool], int]) -> tuple[int, int]:
        return (
            sum(v for (b, _), v in counts.items() if b == band),
            sum(v for (b, _), v in created.items() if b == band),
        )

    ratios = {}
    jump_counts = {key: row["jumps"] for key, row in jumps.items()}
    for name, counts in (
        ("bypasses_per_100", bypasses),
        ("overrides_per_100", overrides),
        ("queue_jumps_per_100", jump_counts),
    ):
        top, top_tickets = band_total(SeniorityBand.EXECUTIVE, counts)
        staff, staff_tickets = band_total(SeniorityBand.STAFF, counts)
        top_rate, staff_rate = _per_100(top, top_tickets), _per_100(staff, staff_tickets)
        ratios[name] = (
            round(top_rate / staff_rate, 2) if top_rate is not None and staff_rate else None
        )
    return {
        "filters": filters.as_dict(),
        "source": source,
        "as_of": clock.now() if source == "live" else rollup_as_of(),
        "min_cases": min_cases,
        "groups": rows,
        "executive_to_staff": ratios,
    }


def _added_wait(j: dict[str, Any]) -> dict[str, Any]:
    """Hours the jumped tickets answered after the jumper waited beyond its first response."""
    answered, waited = j["answered"] or 0, j["waited"] or 0.0
    return {
        "answered": answered,
        "total_hours": round(waited / 3600, 2),
        "per_ticket_hours": round(waited / 3600 / answered, 2) if answered else None,
    }
