"""/api/v1/webhooks/: subscriptions (create shows the secret once), a test event, the log."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from org.roles import request_user
from servicedesk.api import ApiViewSet, error_responses, no_input
from webhooks import selectors, services
from webhooks.models import WebhookSubscription

from .serializers import (
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookInputSerializer,
    WebhookSerializer,
    WebhookUpdateInputSerializer,
)


def _valid(serializer_class: Any, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WebhookViewSet(ApiViewSet):
    """Webhooks: signed POSTs to your endpoint when incidents and problems change. Analysts,
    managers and admins may subscribe; each sees their own (admins see all). ``url`` is the
    receiver's address (where deliveries go), as in other webhook APIs; the webhook's own
    address is in ``Location`` when it is created."""

    queryset = WebhookSubscription.objects.none()  # for the schema; reads go through selectors
    serializer_class = WebhookSerializer

    def _subscription(self) -> WebhookSubscription:
        return selectors.webhook_get(user=request_user(self.request), pk=self.kwargs["pk"])

    @extend_schema(
        summary="Your webhooks",
        responses={200: WebhookSerializer(many=True), **error_responses(401)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.webhook_list(user=request_user(request)))
        return self.get_paginated_response(WebhookSerializer(page, many=True).data)

    @extend_schema(
        summary="Subscribe (the response carries the signing secret, this once)",
        request=WebhookInputSerializer,
        responses={201: WebhookCreatedSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = _valid(WebhookInputSerializer, request.data)
        subscription, secret = services.webhook_create(actor=request_user(request), **data)
        subscription.secret = secret
        location = request.build_absolute_uri(reverse("api-webhook-detail", args=[subscription.pk]))
        return Response(
            WebhookCreatedSerializer(subscription).data,
            status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    @extend_schema(
        summary="One webhook", responses={200: WebhookSerializer, **error_responses(401, 404)}
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(WebhookSerializer(self._subscription()).data)

    @extend_schema(
        summary="Change name, URL, event types; enable or disable",
        request=WebhookUpdateInputSerializer,
        responses={200: WebhookSerializer, **error_responses(400, 401, 403, 404)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        data = _valid(WebhookUpdateInputSerializer, request.data)
        subscription = self._subscription()
        self.precondition(subscription)
        subscription = services.webhook_update(
            subscription=subscription, actor=request_user(request), **data
        )
        return Response(WebhookSerializer(subscription).data)

    @extend_schema(
        summary="Unsubscribe (the delivery log goes too)",
        responses={204: None, **error_responses(401, 404)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        subscription = self._subscription()
        self.precondition(subscription)
        services.webhook_delete(subscription=subscription, actor=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Send a test event (webhook.test), tried once",
        request=None,
        responses={202: WebhookDeliverySerializer, **error_responses(401, 404)},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        no_input(request)
        delivery = services.webhook_send_test(
            subscription=self._subscription(), actor=request_user(request)
        )
        return Response(WebhookDeliverySerializer(delivery).data, status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Delivery log, newest first, with every attempt's response code",
        responses={200: WebhookDeliverySerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        log = selectors.webhook_deliveries(subscription=self._subscription())
        page = self.paginate_queryset(log)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
