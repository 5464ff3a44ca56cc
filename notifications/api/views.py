"""/api/v1/notifications/: the caller's own notifications, and marking them read."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from notifications import selectors, services
from notifications.models import Notification
from org.roles import request_user
from servicedesk.api import ApiViewSet, error_responses, no_input

from .serializers import NotificationSerializer, ReadAllSerializer

UNREAD_PARAM = OpenApiParameter(
    "unread", OpenApiTypes.BOOL, description="true: only unread; false: only read"
)


class _Filters(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class NotificationViewSet(ApiViewSet):
    """Your notifications, newest first (nobody sees anyone else's)."""

    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    extra_query_params = frozenset({"unread"})

    @extend_schema(
        summary="Your notifications",
        parameters=[UNREAD_PARAM],
        responses={200: NotificationSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        filters = _Filters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.notification_list(
            user=request_user(request), unread=filters.validated_data["unread"]
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)

    @extend_schema(
        summary="Mark one notification read",
        request=None,
        responses={200: NotificationSerializer, **error_responses(401, 404)},
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        no_input(request)
        try:
            notification_id = int(pk)
        except ValueError:
            notification_id = 0
        notification = services.notification_mark_read(
            actor=request_user(request), notification_id=notification_id
        )
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="Mark all your notifications read",
        request=None,
        responses={200: ReadAllSerializer, **error_responses(401)},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        no_input(request)
        count = services.notification_mark_all_read(actor=request_user(request))
        return Response({"marked": count})
