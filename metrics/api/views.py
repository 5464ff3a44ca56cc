"""/api/v1/metrics/<name>/: the same figures as the dashboards, with the same filters."""

from typing import Any

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from metrics import access, change_outcomes, exceptions, selectors
from metrics.filtersets import MetricFilters, MetricsFilterForm
from metrics.side_by_side import side_by_side
from metrics.sla import sla
from org.roles import request_user
from servicedesk.api import ApiView, error_responses
from servicedesk.errors import ValidationFailed

from .serializers import (
    MetricsChangesSerializer,
    MetricsExceptionsSerializer,
    MetricsFairnessSerializer,
    MetricsOutcomesSerializer,
    MetricsSideBySideSerializer,
    MetricsSlaSerializer,
)

FILTER_PARAMS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (local date)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included."),
    OpenApiParameter(
        "tz", OpenApiTypes.STR, description="IANA time zone of the dates (default: yours)."
    ),
    OpenApiParameter("service_id", OpenApiTypes.INT),
    OpenApiParameter("team_id", OpenApiTypes.INT),
    OpenApiParameter("priority", OpenApiTypes.INT, enum=[1, 2, 3, 4]),
    OpenApiParameter("bucket", OpenApiTypes.STR, enum=["week", "month"]),
]
SOURCE_PARAM = OpenApiParameter(
    "source",
    OpenApiTypes.STR,
    enum=list(selectors.SOURCES),
    description="`rollup`: the daily rollups; `live`: computed now; `auto` (default): the "
    "rollups once they have been built.",
)


def parse_filters(request: Request) -> MetricFilters:
    user = request_user(request)
    access.require_viewer(user)
    params: QueryDict = request.query_params
    form = MetricsFilterForm(params, default_tz=user.time_zone or "UTC")
    if not form.is_valid():
        raise ValidationFailed(
            "The filters are not valid; see details.", details=form.errors.get_json_data()
        )
    return form.filters()


def parse_source(request: Request) -> str:
    source = request.query_params.get("source", "auto")
    if source not in selectors.SOURCES:
        raise ValidationFailed(
            f"source is one of {', '.join(selectors.SOURCES)}.",
            details={"source": ["Unknown source."]},
        )
    return source


class MetricView(ApiView):
    extra_query_params = frozenset(
        {"start", "end", "tz", "service_id", "team_id", "priority", "bucket"}
    )


class OutcomesView(MetricView):
    extra_query_params = MetricView.extra_query_params | {"source"}

    @extend_schema(
        summary="Customer outcomes: time to restore, satisfaction, first contact, reopens, "
        "impact, backlog, repeats, problems",
        parameters=[*FILTER_PARAMS, SOURCE_PARAM],
        responses={200: MetricsOutcomesSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(request)
        data: dict[str, Any] = selectors.outcomes(filters=filters, source=parse_source(request))
        return Response(MetricsOutcomesSerializer(data).data)


class ChangesView(MetricView):
    @extend_schema(
        summary="Change outcomes (DORA): failure rate, time to restore, deployment frequency, "
        "lead time, standard share, authorisation latency, templates",
        parameters=FILTER_PARAMS,
        responses={200: MetricsChangesSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(request)
        return Response(MetricsChangesSerializer(change_outcomes.changes(filters=filters)).data)


class ExceptionsView(MetricView):
    @extend_schema(
        summary="Exceptions: bypass rate per gate (with the counts), request funnel, reason "
        "mix, approval latency",
        parameters=FILTER_PARAMS,
        responses={200: MetricsExceptionsSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(request)
        return Response(MetricsExceptionsSerializer(exceptions.exceptions(filters=filters)).data)


class FairnessView(MetricView):
    extra_query_params = MetricView.extra_query_params | {"source"}

    @extend_schema(
        summary="Fairness: tickets, resolution time, bypasses, overrides and queue jumps per 100 "
        "tickets by beneficiary seniority band and VIP flag",
        parameters=[*FILTER_PARAMS, SOURCE_PARAM],
        responses={200: MetricsFairnessSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(request)
        data = exceptions.fairness(filters=filters, source=parse_source(request))
        return Response(MetricsFairnessSerializer(data).data)


class SlaView(MetricView):
    extra_query_params = MetricView.extra_query_params | {"source"}

    @extend_schema(
        summary="SLA figures: first-response and resolution compliance, breaches by team and "
        "priority, time to acknowledge, paused time — on the matrix priority (published) and "
        "on the effective priority",
        parameters=[*FILTER_PARAMS, SOURCE_PARAM],
        responses={200: MetricsSlaSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(request)
        return Response(
            MetricsSlaSerializer(sla(filters=filters, source=parse_source(request))).data
        )


class SideBySideView(MetricView):
    extra_query_params = MetricView.extra_query_params | {"source"}

    @extend_schema(
        summary="Side by side per service: SLA compliance next to time to restore and "
        "satisfaction, marked where they disagree",
        parameters=[*FILTER_PARAMS, SOURCE_PARAM],
        responses={200: MetricsSideBySideSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(request)
        data = side_by_side(filters=filters, source=parse_source(request))
        return Response(MetricsSideBySideSerializer(data).data)
