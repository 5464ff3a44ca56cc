"""/api/v1/improvements/ (list, create, retrieve, one action per transition, vote, reassign,
evidence) and /api/v1/process-debt/ (list, retrieve, convert)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.views.common import SelectorFilters, valid
from org.models import BusinessService, User
from org.roles import request_user
from servicedesk import clock
from servicedesk.api import ApiViewSet, error_responses, no_input
from servicedesk.errors import ValidationFailed

from .. import evidence, selectors, services
from ..filtersets import ImprovementFilterSet, ProcessDebtFilterSet
from ..guards import Ctx
from ..models import Improvement, ProcessDebt
from ..transitions import IMPROVEMENT
from .serializers import (
    ImprovementCreateInputSerializer,
    ImprovementDeclineInputSerializer,
    ImprovementDetailSerializer,
    ImprovementEventSerializer,
    ImprovementEvidenceInputSerializer,
    ImprovementReassignInputSerializer,
    ImprovementSerializer,
    ProcessDebtSerializer,
)

IMP_ID = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The improvement's id (12) or reference (IMP-000012).",
    pattern=r"^(\d+|[Ii][Mm][Pp]-?\d+)$",
)
DEBT_ID = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The debt item's id (3) or reference (DEBT-000003).",
    pattern=r"^(\d+|[Dd][Ee][Bb][Tt]-?\d+)$",
)


def imp_action(summary: str, request: Any = None) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        parameters=[IMP_ID],
        responses={200: ImprovementDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )


def available(row: Improvement, user: User) -> list[str]:
    actions = IMPROVEMENT.available(row.status, Ctx(obj=row, actor=user, now=clock.now()))
    return actions


class ImprovementViewSet(ApiViewSet):
    """The improvement register: anyone signed in suggests and votes; owners decide."""

    queryset = Improvement.objects.none()
    serializer_class = ImprovementSerializer
    filterset_class = ImprovementFilterSet
    filter_backends = [SelectorFilters]

    def _get(self) -> Improvement:
        return selectors.improvement_get(user=request_user(self.request), pk=self.kwargs["pk"])

    def _out(self, row: Improvement, code: int = status.HTTP_200_OK) -> Response:
        user = request_user(self.request)
        fresh = selectors.improvement_get(user=user, pk=row.pk)
        context = {"actions": available(fresh, user)}
        return Response(ImprovementDetailSerializer(fresh, context=context).data, code)

    @extend_schema(
        summary="The improvement register",
        responses={200: ImprovementSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        rows = selectors.improvement_list(user=request_user(request), filters=request.query_params)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ImprovementSerializer(page, many=True).data)

    @extend_schema(
        summary="Suggest an improvement to a process or a service",
        request=ImprovementCreateInputSerializer,
        responses={201: ImprovementDetailSerializer, **error_responses(400, 401, 404)},
    )
    def create(self, request: Request) -> Response:
        data = valid(ImprovementCreateInputSerializer, request.data)
        service = None
        if data.get("service_id") is not None:
            service = BusinessService.objects.filter(pk=data["service_id"], is_active=True).first()
            if service is None:
                raise ValidationFailed("No such service.", details={"field": "service_id"})
        row = services.improvement_suggest(
            actor=request_user(request),
            title=data["title"],
            description=data["description"],
            topic=data.get("topic") or "process",
            service=service,
            gate_id=data.get("gate_id", ""),
            evidence_refs=[evidence.parse(text) for text in data.get("evidence", [])],
        )
        return self._out(row, status.HTTP_201_CREATED)

    @extend_schema(
        summary="One improvement, with its evidence and what you may do",
        parameters=[IMP_ID],
        responses={200: ImprovementDetailSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(self._get())

    @extend_schema(
        summary="Its history",
        parameters=[IMP_ID],
        responses={200: ImprovementEventSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request: Request, pk: str) -> Response:
        rows = selectors.improvement_events(improvement=self._get())
        return Response(ImprovementEventSerializer(rows, many=True).data)

    @imp_action("Accept (the owner)")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        no_input(request)
        user = request_user(request)
        return self._out(services.improvement_accept(improvement=self._get(), actor=user))

    @imp_action("Start work (the owner)")
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        no_input(request)
        user = request_user(request)
        return self._out(services.improvement_start(improvement=self._get(), actor=user))

    @imp_action("Mark done (the owner)")
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        no_input(request)
        user = request_user(request)
        return self._out(services.improvement_complete(improvement=self._get(), actor=user))

    @imp_action("Decline (the owner; a reason is required)", ImprovementDeclineInputSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        data = valid(ImprovementDeclineInputSerializer, request.data)
        row = services.improvement_decline(
            improvement=self._get(), actor=request_user(request), reason=data["reason"]
        )
        return self._out(row)

    @imp_action("Vote for it, or withdraw your vote (a toggle)")
    @action(detail=True, methods=["post"])
    def vote(self, request: Request, pk: str) -> Response:
        no_input(request)
        row, _ = services.improvement_vote_toggle(
            improvement=self._get(), actor=request_user(request)
        )
        return self._out(row)

    @imp_action("Hand it to a person (process owners)", ImprovementReassignInputSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str) -> Response:
        data = valid(ImprovementReassignInputSerializer, request.data)
        row = self._get()
        owner = User.objects.filter(pk=data["owner_id"]).first()
        if owner is None:
            raise ValidationFailed("No such person.", details={"field": "owner_id"})
        return self._out(
            services.improvement_reassign(improvement=row, owner=owner, actor=request_user(request))
        )

    @imp_action(
        "Link more evidence (the suggester or the owner)", ImprovementEvidenceInputSerializer
    )
    @action(detail=True, methods=["post"], url_path="evidence")
    def add_evidence(self, request: Request, pk: str) -> Response:
        data = valid(ImprovementEvidenceInputSerializer, request.data)
        kind, object_id = evidence.parse(data["evidence"])
        row = services.improvement_add_evidence(
            improvement=self._get(), actor=request_user(request), kind=kind, object_id=object_id
        )
        return self._out(row)


class ProcessDebtViewSet(ApiViewSet):
    """Process debt: repeated bypasses of one gate, for its owners and bypass oversight."""

    queryset = ProcessDebt.objects.none()
    serializer_class = ProcessDebtSerializer
    filterset_class = ProcessDebtFilterSet
    filter_backends = [SelectorFilters]

    @extend_schema(
        summary="Process-debt items visible to you",
        responses={200: ProcessDebtSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        rows = selectors.debt_list(user=request_user(request), filters=request.query_params)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ProcessDebtSerializer(page, many=True).data)

    @extend_schema(
        summary="One process-debt item",
        parameters=[DEBT_ID],
        responses={200: ProcessDebtSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        row = selectors.debt_get(user=request_user(request), pk=pk)
        return Response(ProcessDebtSerializer(row).data)

    @extend_schema(
        summary="Turn it into an improvement (the gate's owners)",
        request=None,
        parameters=[DEBT_ID],
        responses={201: ImprovementDetailSerializer, **error_responses(401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: str) -> Response:
        no_input(request)
        user = request_user(request)
        row = selectors.debt_get(user=user, pk=pk)
        improvement = services.debt_convert(debt_item=row, actor=user)
        fresh = selectors.improvement_get(user=user, pk=improvement.pk)
        context = {"actions": available(fresh, user)}
        return Response(
            ImprovementDetailSerializer(fresh, context=context).data, status.HTTP_201_CREATED
        )
