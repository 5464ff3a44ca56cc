"""Known errors (everyone) and canned replies (analysts read, leads and managers write)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import selectors, services
from incidents.api.serializers import (
    CannedReplyCreateInputSerializer,
    CannedReplySerializer,
    CannedReplyUpdateInputSerializer,
    KnownErrorSerializer,
)
from incidents.filtersets import CannedReplyFilterSet, KnownErrorFilterSet
from incidents.models import CannedReply, Problem
from org.roles import request_user
from servicedesk.api import ApiViewSet, error_responses

from .common import SelectorFilters, valid


class KnownErrorViewSet(ApiViewSet):
    """Published known errors: open problems with a workaround anyone may apply."""

    queryset = Problem.objects.none()  # for the schema; reads go through the selector
    serializer_class = KnownErrorSerializer
    filterset_class = KnownErrorFilterSet
    filter_backends = [SelectorFilters]

    @extend_schema(
        summary="Published known errors and their workarounds",
        responses={200: KnownErrorSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        known = selectors.known_error_list(user=request_user(request), filters=request.query_params)
        page = self.paginate_queryset(known)
        context = self.get_serializer_context()
        return self.get_paginated_response(
            KnownErrorSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        summary="One published known error",
        responses={200: KnownErrorSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        known = selectors.known_error_get(user=request_user(request), pk=pk)
        return Response(KnownErrorSerializer(known, context=self.get_serializer_context()).data)


class CannedReplyViewSet(ApiViewSet):
    """Canned replies per team. Analysts read them; the team's lead, managers and admins
    write them. Placeholders: {requester_first_name}, {requester_name}, {reference}, {title},
    {analyst_name}, {analyst_first_name}, {team_name}."""

    queryset = CannedReply.objects.none()  # for the schema; reads go through the selector
    serializer_class = CannedReplySerializer
    filterset_class = CannedReplyFilterSet
    filter_backends = [SelectorFilters]

    def _reply(self) -> CannedReply:
        """The reply in the URL; a write honours If-Match on it."""
        reply = selectors.canned_reply_get(user=request_user(self.request), pk=self.kwargs["pk"])
        self.precondition(reply)
        return reply

    def _out(self, reply: CannedReply, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            CannedReplySerializer(reply, context=self.get_serializer_context()).data, code
        )

    @extend_schema(
        summary="Canned replies (empty for requesters)",
        responses={200: CannedReplySerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        replies = selectors.canned_reply_list(
            user=request_user(request), filters=request.query_params
        )
        page = self.paginate_queryset(replies)
        context = self.get_serializer_context()
        return self.get_paginated_response(
            CannedReplySerializer(page, many=True, context=context).data
        )

    @extend_schema(
        summary="Write a canned reply for a team",
        request=CannedReplyCreateInputSerializer,
        responses={201: CannedReplySerializer, **error_responses(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = valid(CannedReplyCreateInputSerializer, request.data)
        reply = services.canned_reply_create(actor=request_user(request), **data)
        return self._out(reply, status.HTTP_201_CREATED)

    @extend_schema(
        summary="One canned reply",
        responses={200: CannedReplySerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(self._reply())

    @extend_schema(
        summary="Change a canned reply (only the fields sent)",
        request=CannedReplyUpdateInputSerializer,
        responses={200: CannedReplySerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        data = valid(CannedReplyUpdateInputSerializer, request.data)
        reply = services.canned_reply_update(
            reply=self._reply(), actor=request_user(request), **data
        )
        return self._out(reply)

    @extend_schema(
        summary="Delete a canned reply",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.canned_reply_delete(reply=self._reply(), actor=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
