"""Change outcomes by DORA's definitions, computed in the database from the changes app's
tables and event table (read only). Definitions: ``docs/metrics.md``."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast, Coalesce

from changes.choices import ChangeType, IncidentRelation, Outcome
from changes.models import Change, ChangeEvent, ChangeIncidentLink, ChangeTemplate
from servicedesk import clock

from .expressions import PercentileCont, Seconds
from .filtersets import MetricFilters
from .selectors import _duration_aggregates, _round, _trunc, distribution, metrics_settings, rate

# --- change outcomes (DORA) --------------------------------------------------------------


def _change_scope(filters: MetricFilters) -> Q:
    q = Q()
    if filters.service_id is not None:
        q &= Q(
            Exists(
                Change.services.through.objects.filter(
                    change_id=OuterRef("pk"), businessservice_id=filters.service_id
                )
            )
        )
    if filters.team_id is not None:
        q &= Q(owner_team_id=filters.team_id)
    return q


def change_rows(filters: MetricFilters) -> QuerySet[Change]:
    """Changes implemented in the period (an outcome recorded, ended in the period)."""
    caused = ChangeIncidentLink.objects.filter(
        change=OuterRef("pk"), relation=IncidentRelation.CAUSED_BY
    )
    return (
        Change.objects.order_by()
        .filter(_change_scope(filters), ended_at__gte=filters.start, ended_at__lt=filters.end)
        .exclude(outcome="")
        .annotate(
            caused_incident=Exists(caused),
            failed=ExpressionWrapper(
                Q(outcome__in=[Outcome.FAILED, Outcome.BACKED_OUT]) | Q(caused_incident=True),
                output_field=BooleanField(),
            ),
        )
    )


def changes(*, filters: MetricFilters) -> dict[str, Any]:
    """Change outcomes by DORA's definitions (``docs/metrics.md``)."""
    min_cases = metrics_settings().min_cases
    rows = change_rows(filters)
    figures = rows.aggregate(
        implemented=Count("pk"),
        failures=Count("pk", filter=Q(failed=True)),
        outcome_failed=Count("pk", filter=Q(outcome=Outcome.FAILED)),
        backed_out=Count("pk", filter=Q(outcome=Outcome.BACKED_OUT)),
        caused=Count("pk", filter=Q(caused_incident=True)),
        standard=Count("pk", filter=Q(type=ChangeType.STANDARD)),
        emergency=Count("pk", filter=Q(type=ChangeType.EMERGENCY)),
        not_restored=Count("pk", filter=Q(failed=True, restored_at__isnull=True)),
        **_duration_aggregates(
            "restore",
            Seconds(F("restored_at"), F("ended_at")),
            only=Q(failed=True, restored_at__isnull=False),
        ),
        **_duration_aggregates(
            "lead", Seconds(F("ended_at"), Coalesce(F("submitted_at"), F("created_at")))
        ),
    )
    implemented = figures["implemented"]
    trend = (
        rows.annotate(bucket=_trunc(filters, "ended_at"))
        .values("bucket")
        .annotate(implemented=Count("pk"), failures=Count("pk", filter=Q(failed=True)))
        .order_by("bucket")
    )
    return {
        "filters": filters.as_dict(),
        "source": "live",
        "as_of": clock.now(),
        "min_cases": min_cases,
        "not_applicable": ["priority"] if filters.priority is not None else [],
        "change_failure_rate": rate(figures["failures"], implemented, min_cases),
        "failures": {
            "failed": figures["outcome_failed"],
            "backed_out": figures["backed_out"],
            "caused_incident": figures["caused"],
            "not_restored": figures["not_restored"],
        },
        "time_to_restore": distribution(
            figures["restore_cases"], figures["restore_p50"], figures["restore_p90"], min_cases
        ),
        "deployment_frequency": {
            "deployments": implemented,
            "days": filters.days,
            "per_day": _round(implemented / filters.days, 3),
            "per_week": _round(implemented * 7 / filters.days, 2),
            "too_few_cases": implemented < min_cases,
        },
        "lead_time": distribution(
            figures["lead_cases"], figures["lead_p50"], figures["lead_p90"], min_cases
        ),
        "standard_share": rate(figures["standard"], implemented, min_cases),
        "emergency_share": rate(figures["emergency"], implemented, min_cases),
        "authorisation_latency": authorisation_latency(filters=filters, min_cases=min_cases),
        "templates": template_outcomes(rows=rows, min_cases=min_cases),
        "trend": [
            {
                "bucket": row["bucket"].date().isoformat(),
                "implemented": row["implemented"],
                "change_failure_rate": rate(row["failures"], row["implemented"], min_cases),
            }
            for row in trend
        ],
    }


def authorisation_latency(*, filters: MetricFilters, min_cases: int) -> list[dict[str, Any]]:
    """Per authority: from the moment a change started awaiting it (``change.assessed`` or the
    previous stage's ``change.stage_approved``) to the decision that settled its stage (the
    ``change.approved_by``/``rejected_by`` event whose quorum was no longer pending), for
    stages settled in the period."""
    opened = (
        ChangeEvent.objects.filter(
            change=OuterRef("change"),
            type__in=["change.assessed", "change.stage_approved"],
            pk__lt=OuterRef("pk"),
        )
        .order_by("-pk")
        .values("created_at")[:1]
    )
    in_scope = Change.objects.filter(_change_scope(filters)).values("pk")
    settled = (
        ChangeEvent.objects.filter(
            type__in=["change.approved_by", "change.rejected_by"],
            created_at__gte=filters.start,
            created_at__lt=filters.end,
            change_id__in=in_scope,
        )
        .exclude(payload__quorum="pending")
        .annotate(
            authority_id=Cast(F("payload__authority_id"), IntegerField()),
            latency=Seconds(F("created_at"), Subquery(opened, output_field=DateTimeField())),
        )
        .values("authority_id")
        .annotate(
            cases=Count("latency"),
            p50=PercentileCont(F("latency"), 0.5),
            p90=PercentileCont(F("latency"), 0.9),
        )
        .order_by("authority_id")
    )
    figures = list(settled)
    from changes.models import ChangeAuthority

    names = dict(
        ChangeAuthority.objects.filter(pk__in=[r["authority_id"] for r in figures]).values_list(
            "pk", "name"
        )
    )
    return [
        {
            "authority_id": row["authority_id"],
            "authority": names.get(row["authority_id"], ""),
            **distribution(row["cases"], row["p50"], row["p90"], min_cases),
        }
        for row in figures
    ]


def template_outcomes(*, rows: QuerySet[Change], min_cases: int) -> list[dict[str, Any]]:
    """Per standard-change template: implemented, failed, against the template's threshold
    and minimum sample."""
    per_template = (
        rows.filter(template__isnull=False)
        .values("template_id")
        .annotate(implemented=Count("pk"), failures=Count("pk", filter=Q(failed=True)))
        .order_by("template_id")
    )
    figures = list(per_template)
    templates = {
        t.pk: t for t in ChangeTemplate.objects.filter(pk__in=[r["template_id"] for r in figures])
    }
    result = []
    for row in figures:
        template = templates[row["template_id"]]
        share = rate(row["failures"], row["implemented"], max(min_cases, template.min_sample))
        result.append(
            {
                "template_id": template.pk,
                "template": template.title,
                "failure_rate": share,
                "threshold": float(template.failure_threshold),
                "above_threshold": bool(
                    not share["too_few_cases"]
                    and share["value"] is not None
                    and share["value"] > float(template.failure_threshold)
                ),
            }
        )
    return result
