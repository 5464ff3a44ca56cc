"""The SLA columns of each incident row (live, and copied into ``IncidentFact`` by the rollup):
the stored clocks of ``incidents.IncidentSla`` judged on the effective priority and on the
matrix priority, time to acknowledge, and paused time by cause from ``incidents.SlaPause``.

Everything is an SQL expression over the incident row. The one thing read first is the SLA
configuration (active policies in order, fallback targets): it becomes a ``CASE`` that gives
the targets the *matrix* priority would have had — the same first-match rule as
``incidents.sla.choose_policy``. See ``docs/metrics.md`` (SLA figures)."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from incidents.models import ResolutionTarget, SlaPause, SlaPolicy
from incidents.services.sla import policy_facts
from incidents.sla import PolicyFacts

from .expressions import DurationSeconds, Seconds

PAUSE_CAUSES = ("requester", "vendor", "change", "other")
SLA_COLUMNS = (
    "matrix_priority",
    "bypassed_priority",
    "response_settled_at",
    "response_met",
    "resolution_met",
    "response_met_matrix",
    "resolution_met_matrix",
    "ack_seconds",
    "ack_business_seconds",
    "paused_seconds",
    *(f"wait_{cause}_seconds" for cause in PAUSE_CAUSES),
)


def _condition(policy: PolicyFacts) -> Q:
    """The policy's conditions on the matrix priority and the incident's other facts."""
    q = Q(pk__isnull=False)  # an empty policy matches anything
    if policy.priorities:
        q &= Q(m_priority__in=sorted(policy.priorities))
    if policy.service_ids:
        q &= Q(service_id__in=sorted(policy.service_ids))
    if policy.category_ids:
        q &= Q(category_id__in=sorted(policy.category_ids))
    if policy.channels:
        q &= Q(channel__in=sorted(policy.channels))
    return q


def matrix_targets() -> tuple[Any, Any]:
    """``CASE`` expressions: the response and resolution targets of the policy the matrix
    priority would have chosen (the fallback resolution target of that priority if none)."""
    policies = [
        policy_facts(p)
        for p in SlaPolicy.objects.filter(is_active=True)
        .order_by("position", "pk")
        .prefetch_related("services", "categories")
    ]
    fallback = dict(ResolutionTarget.objects.values_list("priority", "resolve_within"))
    none = Value(None, output_field=DurationField())

    def case(whens: list[When]) -> Any:
        return Case(*whens, default=none, output_field=DurationField()) if whens else none

    response = case([When(_condition(p), then=Value(p.response_target)) for p in policies])
    resolution = case(
        [When(_condition(p), then=Value(p.resolution_target)) for p in policies]
        + [
            When(m_priority=priority, then=Value(target))
            for priority, target in sorted(fallback.items())
        ]
    )
    return response, resolution


def _pause_seconds(reason: str) -> Any:
    """Wall-clock seconds the incident's pauses for ``reason`` lasted; a pause still open
    counts up to the resolution (an open incident's open pause is not counted yet)."""
    per_incident = (
        SlaPause.objects.filter(incident=OuterRef("pk"), reason=reason)
        .order_by()
        .values("incident")
        .annotate(
            s=Sum(
                Seconds(Coalesce(F("ended_at"), F("incident__resolved_at")), F("started_at")),
                output_field=FloatField(),
            )
        )
        .values("s")
    )
    return Coalesce(Subquery(per_incident, output_field=FloatField()), Value(0.0))


def _effective(target: str, breached: str) -> Any:
    return Case(
        When(**{f"sla__{target}__isnull": True}, then=Value(None)),
        When(**{f"sla__{breached}__isnull": False}, then=Value(False)),
        default=Value(True),
        output_field=BooleanField(),
    )


def _matrix(effective: str, target: str, elapsed: str, breached: str, m_target: str) -> Any:
    """Judged on the matrix priority's target: the same as the effective verdict unless the
    priority was bypassed; then missed if the clock's business time exceeds the matrix target,
    or it was breached against a target no stricter than the matrix one. Not judged (NULL)
    when the effective clock had no target (it measured nothing) or there is no matrix one."""
    return Case(
        When(bypassed_priority=False, then=F(effective)),
        When(**{f"sla__{target}__isnull": True}, then=Value(None)),
        When(**{f"{m_target}__isnull": True}, then=Value(None)),
        When(
            Q(**{f"sla__{elapsed}__gt": F(m_target)})
            | Q(**{f"sla__{breached}__isnull": False, f"sla__{target}__gte": F(m_target)}),
            then=Value(False),
        ),
        default=Value(True),
        output_field=BooleanField(),
    )


def sla_annotations(qs: Any) -> Any:
    """``qs`` (incidents) with the SLA columns, under the names of ``SLA_COLUMNS``."""
    m_response, m_resolution = matrix_targets()
    qs = qs.annotate(
        m_priority=Coalesce(F("matrix_priority"), F("priority")),
        **{f"wait_{cause}_seconds": _pause_seconds(cause) for cause in PAUSE_CAUSES},
    ).annotate(
        bypassed_priority=ExpressionWrapper(~Q(priority=F("m_priority")), BooleanField()),
        m_response_target=m_response,
        m_resolution_target=m_resolution,
        response_settled_at=Coalesce(F("first_response_at"), F("resolved_at")),
        response_met=_effective("response_target", "response_breached_at"),
        resolution_met=_effective("resolution_target", "resolution_breached_at"),
        ack_seconds=Seconds(F("first_response_at"), F("created_at")),
        ack_business_seconds=Case(
            When(
                first_response_at__isnull=False,
                sla__response_target__isnull=False,
                then=DurationSeconds(F("sla__response_elapsed")),
            ),
            default=Value(None),
            output_field=FloatField(),
        ),
        paused_seconds=ExpressionWrapper(
            F("wait_requester_seconds")
            + F("wait_vendor_seconds")
            + F("wait_change_seconds")
            + F("wait_other_seconds"),
            output_field=FloatField(),
        ),
    )
    return qs.annotate(
        response_met_matrix=_matrix(
            "response_met",
            "response_target",
            "response_elapsed",
            "response_breached_at",
            "m_response_target",
        ),
        resolution_met_matrix=_matrix(
            "resolution_met",
            "resolution_target",
            "resolution_elapsed",
            "resolution_breached_at",
            "m_resolution_target",
        ),
    )
