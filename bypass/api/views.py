"""Bypass endpoints: requests (one action per transition), gates, policies and the ledger
(read-only, with verify)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.views.common import SelectorFilters, valid
from org.models import User
from org.roles import request_user
from servicedesk import clock
from servicedesk.api import ApiViewSet, error_responses
from servicedesk.errors import DomainError, ValidationFailed

from .. import gates, ledger, selectors, services
from ..filtersets import BypassRequestFilterSet
from ..models import BypassEvent, BypassObligation, BypassPolicy, BypassRequest, StandardBypass
from .serializers import (
    BreakGlassInputSerializer,
    BypassAnswerInputSerializer,
    BypassCommentInputSerializer,
    BypassCreateInputSerializer,
    BypassReasonInputSerializer,
    BypassRequestSerializer,
    BypassReviewInputSerializer,
    EventSerializer,
    GateSerializer,
    ObligationDoneInputSerializer,
    ObligationSerializer,
    PolicySaveInputSerializer,
    PolicySerializer,
    RestoreInputSerializer,
    StandardBypassInputSerializer,
    StandardBypassSerializer,
    StandardReviewInputSerializer,
    VerifySerializer,
    item_data,
)

BYP_ID = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The request's id (123) or reference (BYP-000123).",
    pattern=r"^(\d+|[Bb][Yy][Pp]-?\d+)$",
)


def byp_action(summary: str, request: Any = None) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        parameters=[BYP_ID],
        responses={200: BypassRequestSerializer, **error_responses(400, 401, 403, 404, 409)},
    )


class BypassRequestViewSet(ApiViewSet):
    """Process-bypass requests: file, submit, decide, withdraw, revoke."""

    queryset = BypassRequest.objects.none()
    serializer_class = BypassRequestSerializer
    filterset_class = BypassRequestFilterSet
    filter_backends = [SelectorFilters]

    def _get(self) -> BypassRequest:
        return selectors.bypass_get(user=request_user(self.request), pk=self.kwargs["pk"])

    def _out(self, row: BypassRequest, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.bypass_get(user=request_user(self.request), pk=row.pk)
        return Response(BypassRequestSerializer(fresh).data, code)

    @extend_schema(
        summary="Bypass requests visible to you",
        responses={200: BypassRequestSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        rows = selectors.bypass_list(user=request_user(request), filters=request.query_params)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(BypassRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="File a bypass request (submitted at once unless submit is false)",
        request=BypassCreateInputSerializer,
        responses={201: BypassRequestSerializer, **error_responses(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = valid(BypassCreateInputSerializer, request.data)
        beneficiary_id = data.pop("beneficiary_id", None)
        beneficiary = None
        if beneficiary_id is not None:
            beneficiary = User.objects.filter(pk=beneficiary_id, is_active=True).first()
            if beneficiary is None:
                raise ValidationFailed("No such beneficiary.", details={"field": "beneficiary_id"})
        data["items"] = item_data([dict(i) for i in data["items"]])
        row = services.bypass_create(actor=request_user(request), beneficiary=beneficiary, **data)
        return self._out(row, status.HTTP_201_CREATED)

    @extend_schema(
        summary="One bypass request",
        parameters=[BYP_ID],
        responses={200: BypassRequestSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(self._get())

    @byp_action("Submit a draft")
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._out(services.bypass_submit(request=self._get(), actor=request_user(request)))

    @byp_action("Approve (counts for the current scope only)", BypassCommentInputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        data = valid(BypassCommentInputSerializer, request.data)
        row = services.bypass_approve(
            request=self._get(), actor=request_user(request), comment=data.get("comment", "")
        )
        return self._out(row)

    @byp_action("Reject (a reason is required)", BypassCommentInputSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        data = valid(BypassCommentInputSerializer, request.data)
        row = services.bypass_reject(
            request=self._get(), actor=request_user(request), comment=data.get("comment", "")
        )
        return self._out(row)

    @byp_action("Ask the requester for information", BypassCommentInputSerializer)
    @action(detail=True, methods=["post"], url_path="request-info")
    def request_info(self, request: Request, pk: str) -> Response:
        data = valid(BypassCommentInputSerializer, request.data)
        row = services.bypass_request_info(
            request=self._get(), actor=request_user(request), comment=data.get("comment", "")
        )
        return self._out(row)

    @byp_action("Answer a request for information", BypassAnswerInputSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str) -> Response:
        data = valid(BypassAnswerInputSerializer, request.data)
        row = services.bypass_respond(
            request=self._get(), actor=request_user(request), answer=data["answer"]
        )
        return self._out(row)

    @byp_action("Withdraw", BypassReasonInputSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        data = valid(BypassReasonInputSerializer, request.data)
        row = services.bypass_withdraw(
            request=self._get(), actor=request_user(request), reason=data.get("reason", "")
        )
        return self._out(row)

    @byp_action("Revoke (a reason is required)", BypassReasonInputSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        data = valid(BypassReasonInputSerializer, request.data)
        row = services.bypass_revoke(
            request=self._get(), actor=request_user(request), reason=data.get("reason", "")
        )
        return self._out(row)

    @extend_schema(
        summary="Break glass on the gate that blocked you (eligible gates and people, during "
        "an open P1/P2 or major incident, after re-entering your password)",
        request=BreakGlassInputSerializer,
        responses={201: BypassRequestSerializer, **error_responses(400, 401, 403, 409)},
    )
    @action(detail=False, methods=["post"], url_path="break-glass")
    def break_glass(self, request: Request) -> Response:
        from ..services.breakglass import STEP_UP_CODE
        from ..views_after import refuse_if_locked, step_up_failed

        user = request_user(request)
        data = valid(BreakGlassInputSerializer, request.data)
        refuse_if_locked(request._request, user)
        try:
            row = services.bypass_break_glass(
                actor=user,
                gate_id=data["gate"],
                subject_type=data["subject_type"],
                subject_id=data["subject_id"],
                incident_id=data["incident_id"],
                password=data["password"],
                justification=data["justification"],
                refusal=data.get("refusal", ""),
            )
        except DomainError as exc:
            if exc.code == STEP_UP_CODE:
                raise (step_up_failed(request._request, user) or exc) from None
            raise
        response = self._out(row, status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/bypass-requests/{row.pk}/"
        return response

    @byp_action(
        "Ratify a break-glass (counts toward its plan's quorum)", BypassCommentInputSerializer
    )
    @action(detail=True, methods=["post"])
    def ratify(self, request: Request, pk: str) -> Response:
        data = valid(BypassCommentInputSerializer, request.data)
        row = services.bypass_ratify(
            request=self._get(), actor=request_user(request), comment=data.get("comment", "")
        )
        return self._out(row)

    @byp_action("Repudiate a break-glass (a reason is required)", BypassCommentInputSerializer)
    @action(detail=True, methods=["post"])
    def repudiate(self, request: Request, pk: str) -> Response:
        data = valid(BypassCommentInputSerializer, request.data)
        row = services.bypass_repudiate(
            request=self._get(), actor=request_user(request), comment=data.get("comment", "")
        )
        return self._out(row)

    @byp_action("Review after use (closes the request)", BypassReviewInputSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        data = valid(BypassReviewInputSerializer, request.data)
        row = self._get()
        services.bypass_review(
            request=row,
            actor=request_user(request),
            outcome=data["outcome"],
            misfit=data["misfit"],
            proposal=data.get("proposal", ""),
            links=data.get("links", []),
        )
        return self._out(row)

    @byp_action(
        "Restore the break-glass right this repudiation suspended (process owners)",
        RestoreInputSerializer,
    )
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str) -> Response:
        from servicedesk.errors import Conflict

        data = valid(RestoreInputSerializer, request.data)
        row = self._get()
        held = row.suspensions.filter(restored_at=None).first()
        if held is None:
            raise Conflict(
                f"{row.ref} suspended no break-glass right that is still suspended.",
                code="bypass.suspension.none",
            )
        services.bypass_break_glass_restore(
            suspension=held, actor=request_user(request), note=data["note"]
        )
        return self._out(row)


class StandardBypassViewSet(ApiViewSet):
    """Standard bypasses: narrow rules that pre-approve a recurring low-risk pattern. Everyone
    signed in reads them; process owners create and review them."""

    queryset = StandardBypass.objects.none()
    serializer_class = StandardBypassSerializer

    def _rows(self) -> Any:
        return StandardBypass.objects.select_related("owner").order_by("pk")

    @extend_schema(
        summary="Standard bypasses",
        responses={200: StandardBypassSerializer(many=True), **error_responses(401)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self._rows())
        return self.get_paginated_response(StandardBypassSerializer(page, many=True).data)

    @extend_schema(
        summary="One standard bypass",
        responses={200: StandardBypassSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(StandardBypassSerializer(self._one(pk)).data)

    def _one(self, pk: str) -> StandardBypass:
        from servicedesk.errors import NotFound

        row = self._rows().filter(pk=pk).first() if str(pk).isdigit() else None
        if row is None:
            raise NotFound(f"No standard bypass {pk}.", code="bypass.standard.not_found")
        return row

    @extend_schema(
        summary="Create a standard bypass (process owners)",
        request=StandardBypassInputSerializer,
        responses={201: StandardBypassSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = valid(StandardBypassInputSerializer, request.data)
        row = services.bypass_standard_create(actor=request_user(request), **data)
        return Response(
            StandardBypassSerializer(self._one(str(row.pk))).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/standard-bypasses/{row.pk}/"},
        )

    @extend_schema(
        summary="Periodic review: keep (next review set) or retire (process owners)",
        request=StandardReviewInputSerializer,
        responses={200: StandardBypassSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        data = valid(StandardReviewInputSerializer, request.data)
        row = services.bypass_standard_review(
            standard=self._one(pk),
            actor=request_user(request),
            keep=data["keep"],
            note=data["note"],
        )
        return Response(StandardBypassSerializer(self._one(str(row.pk))).data)


class GateViewSet(ApiViewSet):
    """The gates registry (read-only)."""

    queryset = BypassPolicy.objects.none()  # the registry is code; for the schema only
    serializer_class = GateSerializer
    pagination_class = None

    @extend_schema(summary="Every gate", responses={200: GateSerializer(many=True)})
    def list(self, request: Request) -> Response:
        return Response([g.as_dict() for g in gates.all_gates()])


class PolicyViewSet(ApiViewSet):
    """Approval policies per gate and risk class: every version; process owners save a new
    version (the old one is kept, inactive; requests already submitted keep theirs)."""

    queryset = BypassPolicy.objects.none()
    serializer_class = PolicySerializer

    @extend_schema(
        summary="Every policy version",
        responses={200: PolicySerializer(many=True), **error_responses(401)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.policy_list())
        return self.get_paginated_response(PolicySerializer(page, many=True).data)

    @extend_schema(
        summary="Save a new version of a policy (process owners)",
        request=PolicySaveInputSerializer,
        responses={201: PolicySerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = dict(valid(PolicySaveInputSerializer, request.data))
        policy = services.bypass_policy_save(
            actor=request_user(request),
            gate_id=data.pop("gate_id"),
            risk_class=data.pop("risk_class"),
            rule=data.pop("rule"),
            **data,
        )
        return Response(
            PolicySerializer(policy).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/bypass-policies/{policy.pk}/"},
        )

    @extend_schema(
        summary="One policy version",
        responses={200: PolicySerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        from servicedesk.errors import NotFound

        row = selectors.policy_list().filter(pk=pk).first() if pk.isdigit() else None
        if row is None:
            raise NotFound(f"No bypass policy {pk}.", code="bypass.policy.not_found")
        return Response(PolicySerializer(row).data)


class LedgerViewSet(ApiViewSet):
    """The hash-chained ledger (read-only), newest first, and its verification."""

    queryset = BypassEvent.objects.none()
    serializer_class = EventSerializer

    def _oversight(self, request: Request) -> None:
        from servicedesk.errors import PermissionDenied

        if not selectors.sees_all(request_user(request)):
            raise PermissionDenied(
                "The ledger is for managers, process owners and admins.",
                code="bypass.permission.ledger",
            )

    @extend_schema(
        summary="Ledger entries, newest first",
        responses={200: EventSerializer(many=True), **error_responses(401, 403)},
    )
    def list(self, request: Request) -> Response:
        self._oversight(request)
        page = self.paginate_queryset(selectors.ledger_list())
        return self.get_paginated_response(EventSerializer(page, many=True).data)

    @extend_schema(
        summary="Recompute the chain",
        request=None,
        responses={200: VerifySerializer, **error_responses(401, 403)},
    )
    @action(detail=False, methods=["get"])
    def verify(self, request: Request) -> Response:
        self._oversight(request)
        return Response(ledger.verify().as_dict())


class ObligationViewSet(ApiViewSet):
    """Deferred and added steps left by used bypasses; each blocks closing its subject until
    marked done."""

    queryset = BypassObligation.objects.none()
    serializer_class = ObligationSerializer
    extra_query_params = frozenset({"overdue"})

    @extend_schema(
        summary="Bypass obligations visible to you",
        parameters=[
            OpenApiParameter(
                "overdue",
                OpenApiTypes.BOOL,
                description="Only open obligations past their deadline.",
            )
        ],
        responses={200: ObligationSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        overdue = request.query_params.get("overdue", "") in ("1", "true", "yes")
        rows = selectors.obligation_list(
            user=request_user(request), overdue_at=clock.now() if overdue else None
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ObligationSerializer(page, many=True).data)

    @extend_schema(
        summary="Mark an obligation done",
        request=ObligationDoneInputSerializer,
        responses={200: ObligationSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def done(self, request: Request, pk: str) -> Response:
        user = request_user(request)
        row = selectors.obligation_get(user=user, pk=pk)
        data = valid(ObligationDoneInputSerializer, request.data)
        done = services.bypass_obligation_done(
            obligation=row, actor=user, note=data.get("note", "")
        )
        return Response(ObligationSerializer(selectors.obligation_get(user=user, pk=done.pk)).data)
