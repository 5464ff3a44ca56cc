"""Change endpoints: resource, one action per transition, decisions, links, the calendar."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from changes import selectors, services
from changes.api.serializers import (
    CalendarQuerySerializer,
    CalendarSerializer,
    ChangeCreateInputSerializer,
    ChangeDecisionSerializer,
    ChangeEventSerializer,
    ChangeLinkIncidentsInputSerializer,
    ChangeReasonInputSerializer,
    ChangeSerializer,
    ChangeUpdateInputSerializer,
    CompleteInputSerializer,
    DecisionInputSerializer,
    DocumentInputSerializer,
    IncidentLinkSerializer,
    RejectInputSerializer,
    ReviewInputSerializer,
)
from changes.filtersets import ChangeFilterSet
from changes.models import Change
from org.roles import request_user
from servicedesk.api import ApiView, ApiViewSet, error_responses, no_input

from .common import CHANGE_ID, SelectorFilters, change_action, valid


class ChangeViewSet(ApiViewSet):
    """Change requests: file, edit, submit, authorise, schedule, implement, review, close."""

    queryset = Change.objects.none()  # for the schema; every read goes through a selector
    serializer_class = ChangeSerializer
    filterset_class = ChangeFilterSet
    filter_backends = [SelectorFilters]

    def _change(self) -> Change:
        return selectors.change_get(user=request_user(self.request), pk=self.kwargs["pk"])

    def _change_for_write(self) -> Change:
        change = self._change()
        self.precondition(change)  # If-Match: 412 now if stale, and again under the row lock
        return change

    def _out(self, change: Change, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.change_get(user=request_user(self.request), pk=change.pk)
        return Response(ChangeSerializer(fresh, context=self.get_serializer_context()).data, code)

    def _page(self, queryset: QuerySet[Any], serializer_class: type[Any]) -> Response:
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context()
        return self.get_paginated_response(serializer_class(page, many=True, context=context).data)

    # --- resource --------------------------------------------------------------------------
    @extend_schema(
        summary="List changes visible to you",
        responses={200: ChangeSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        changes = selectors.change_list(user=request_user(request), filters=request.query_params)
        return self._page(changes, ChangeSerializer)

    @extend_schema(
        summary="File a change (blank, or from a standard-change template)",
        request=ChangeCreateInputSerializer,
        responses={201: ChangeSerializer, **error_responses(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = valid(ChangeCreateInputSerializer, request.data)
        change = services.change_create(actor=request_user(request), **data)
        return self._out(change, status.HTTP_201_CREATED)

    @extend_schema(
        summary="One change",
        parameters=[CHANGE_ID],
        responses={200: ChangeSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(self._change())

    @extend_schema(
        summary="Edit (after submission: the approvals so far are voided and it is re-assessed)",
        parameters=[CHANGE_ID],
        request=ChangeUpdateInputSerializer,
        responses={200: ChangeSerializer, **error_responses(400, 401, 403, 404, 409, 412)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        serializer = ChangeUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        change = services.change_update(
            change=self._change_for_write(),
            actor=request_user(request),
            **serializer.validated_data,
        )
        return self._out(change)

    # --- transitions -----------------------------------------------------------------------
    @change_action("Submit (a standard change goes straight to scheduled)", errors=(400,))
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._out(
            services.change_submit(change=self._change_for_write(), actor=request_user(request))
        )

    @change_action(
        "Proceed past the change authority with an approved bypass of its gate (refused with "
        "the gate, the reason and a pre-filled bypass request when there is none)"
    )
    @action(detail=True, methods=["post"])
    def proceed(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._out(
            services.change_proceed_with_bypass(
                change=self._change_for_write(), actor=request_user(request)
            )
        )

    @change_action("Approve, as a member of the authority awaited", DecisionInputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        data = valid(DecisionInputSerializer, request.data)
        change = services.change_approve(
            change=self._change_for_write(), actor=request_user(request), **data
        )
        return self._out(change)

    @change_action("Reject, with the reason", RejectInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        data = valid(RejectInputSerializer, request.data)
        change = services.change_reject(
            change=self._change_for_write(), actor=request_user(request), **data
        )
        return self._out(change)

    @change_action("Schedule an authorised change (refused in a freeze or on a conflict)")
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk: str) -> Response:
        no_input(request)
        change = services.change_schedule(
            change=self._change_for_write(), actor=request_user(request)
        )
        return self._out(change)

    @change_action("Start implementing (inside the planned window)")
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        no_input(request)
        change = services.change_start(change=self._change_for_write(), actor=request_user(request))
        return self._out(change)

    @change_action("Complete, with the outcome", CompleteInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        data = valid(CompleteInputSerializer, request.data)
        change = services.change_complete(
            change=self._change_for_write(), actor=request_user(request), **data
        )
        return self._out(change)

    @change_action("Review (post-implementation review when required)", ReviewInputSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        data = valid(ReviewInputSerializer, request.data)
        change = services.change_review(
            change=self._change_for_write(), actor=request_user(request), **data
        )
        return self._out(change)

    @change_action("Close a reviewed change")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._out(
            services.change_close(change=self._change_for_write(), actor=request_user(request))
        )

    @change_action("Cancel before implementation", ChangeReasonInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        data = valid(ChangeReasonInputSerializer, request.data)
        change = services.change_cancel(
            change=self._change_for_write(), actor=request_user(request), **data
        )
        return self._out(change)

    @change_action(
        "Add the documentation an emergency change deferred", DocumentInputSerializer, errors=(400,)
    )
    @action(detail=True, methods=["post"])
    def document(self, request: Request, pk: str) -> Response:
        data = valid(DocumentInputSerializer, request.data)
        change = services.change_document(
            change=self._change_for_write(), actor=request_user(request), **data
        )
        return self._out(change)

    # --- history and links -----------------------------------------------------------------
    @extend_schema(
        methods=["GET"],
        summary="Incidents linked to the change",
        parameters=[CHANGE_ID],
        responses={200: IncidentLinkSerializer(many=True), **error_responses(401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Link incidents as caused by (or related to) the change",
        parameters=[CHANGE_ID],
        request=ChangeLinkIncidentsInputSerializer,
        responses={
            200: IncidentLinkSerializer(many=True),
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="link-incidents", pagination_class=None)
    def link_incidents(self, request: Request, pk: str) -> Response:
        change = self._change()
        if request.method == "POST":
            data = valid(ChangeLinkIncidentsInputSerializer, request.data)
            services.change_link_incidents(change=change, actor=request_user(request), **data)
        links = selectors.change_incident_links(change=change)
        return Response(IncidentLinkSerializer(links, many=True).data)

    @extend_schema(
        summary="Timeline",
        parameters=[CHANGE_ID],
        responses={200: ChangeEventSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str) -> Response:
        return self._page(selectors.change_events(change=self._change()), ChangeEventSerializer)

    @extend_schema(
        summary="Authorisation decisions (every revision)",
        parameters=[CHANGE_ID],
        responses={200: ChangeDecisionSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"])
    def decisions(self, request: Request, pk: str) -> Response:
        decisions = selectors.change_decisions(change=self._change())
        return self._page(decisions, ChangeDecisionSerializer)

    @extend_schema(
        summary="Your approval inbox: changes awaiting your decision",
        responses={200: ChangeSerializer(many=True), **error_responses(401)},
    )
    @action(detail=False, methods=["get"])
    def inbox(self, request: Request) -> Response:
        return self._page(selectors.approval_inbox(user=request_user(request)), ChangeSerializer)


class ChangeCalendarView(ApiView):
    """The change schedule between two moments (at most 62 days), with freeze windows."""

    extra_query_params = frozenset({"start", "end"})

    @extend_schema(
        summary="Changes and freeze windows between start and end",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=True),
        ],
        responses={200: CalendarSerializer, **error_responses(400, 401)},
    )
    def get(self, request: Request) -> Response:
        query = valid(CalendarQuerySerializer, request.query_params)
        calendar = selectors.change_calendar(user=request_user(request), **query)
        return Response(CalendarSerializer(calendar, context={"request": request}).data)
