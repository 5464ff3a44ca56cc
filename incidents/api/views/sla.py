"""/api/v1/sla-policies/ and /api/v1/escalation-rules/: every signed-in person reads them;
administrators and process owners create, change and delete them (the services say who)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import selectors
from incidents.api.serializers import (
    EscalationRuleInputSerializer,
    EscalationRuleSerializer,
    EscalationRuleUpdateInputSerializer,
    SlaPolicyInputSerializer,
    SlaPolicySerializer,
    SlaPolicyUpdateInputSerializer,
)
from incidents.models import EscalationRule, SlaPolicy
from incidents.services import sla_config
from org.roles import request_user
from servicedesk.api import ApiViewSet, error_responses
from servicedesk.errors import NotFound

from .common import valid


def _pk(view: Any) -> int:
    try:
        return int(view.kwargs["pk"])
    except (TypeError, ValueError):
        return 0


def _policy_data(data: dict[str, Any]) -> dict[str, Any]:
    from datetime import timedelta

    for field in ("response_target", "resolution_target"):
        minutes = data.pop(f"{field}_minutes", None)
        if minutes is not None:
            data[field] = timedelta(minutes=minutes)
    return data


class SlaPolicyViewSet(ApiViewSet):
    """SLA policies in the order they are tried: the first whose conditions (priority,
    service, category, channel; empty means any) all hold applies. Targets are business
    minutes on the policy's calendar (else the service's, else the default)."""

    queryset = SlaPolicy.objects.none()
    serializer_class = SlaPolicySerializer

    def _get(self) -> SlaPolicy:
        policy = selectors.sla_policies().filter(pk=_pk(self)).first()
        if policy is None:
            raise NotFound("No such SLA policy.")
        return policy

    @extend_schema(
        summary="SLA policies, in order",
        responses={200: SlaPolicySerializer(many=True), **error_responses(401)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.sla_policies())
        return self.get_paginated_response(
            SlaPolicySerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="One SLA policy", responses={200: SlaPolicySerializer, **error_responses(401, 404)}
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(
            SlaPolicySerializer(self._get(), context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Add an SLA policy (administrators and process owners)",
        request=SlaPolicyInputSerializer,
        responses={201: SlaPolicySerializer, **error_responses(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = _policy_data(valid(SlaPolicyInputSerializer, request.data))
        policy = sla_config.sla_policy_create(actor=request_user(request), **data)
        return Response(
            SlaPolicySerializer(
                selectors.sla_policies().get(pk=policy.pk), context=self.get_serializer_context()
            ).data,
            status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Change an SLA policy (administrators and process owners)",
        request=SlaPolicyUpdateInputSerializer,
        responses={200: SlaPolicySerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        data = _policy_data(valid(SlaPolicyUpdateInputSerializer, request.data))
        policy = sla_config.sla_policy_update(actor=request_user(request), policy=_pk(self), **data)
        return Response(
            SlaPolicySerializer(
                selectors.sla_policies().get(pk=policy.pk), context=self.get_serializer_context()
            ).data
        )

    @extend_schema(
        summary="Delete an SLA policy (administrators and process owners)",
        request=None,
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        sla_config.sla_policy_delete(actor=request_user(request), policy=_pk(self))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EscalationRuleViewSet(ApiViewSet):
    """Escalation rules: at each level (a percentage of the response or resolution target, or
    business minutes since the last update) its actions apply once per incident."""

    queryset = EscalationRule.objects.none()
    serializer_class = EscalationRuleSerializer

    def _get(self) -> EscalationRule:
        rule = selectors.escalation_rules().filter(pk=_pk(self)).first()
        if rule is None:
            raise NotFound("No such escalation rule.")
        return rule

    @extend_schema(
        summary="Escalation rules, in order",
        responses={200: EscalationRuleSerializer(many=True), **error_responses(401)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.escalation_rules())
        return self.get_paginated_response(
            EscalationRuleSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="One escalation rule",
        responses={200: EscalationRuleSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(
            EscalationRuleSerializer(self._get(), context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Add an escalation rule (administrators and process owners)",
        request=EscalationRuleInputSerializer,
        responses={201: EscalationRuleSerializer, **error_responses(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = valid(EscalationRuleInputSerializer, request.data)
        rule = sla_config.escalation_rule_create(actor=request_user(request), **data)
        return Response(
            EscalationRuleSerializer(rule, context=self.get_serializer_context()).data,
            status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Change an escalation rule (administrators and process owners)",
        request=EscalationRuleUpdateInputSerializer,
        responses={200: EscalationRuleSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        data = valid(EscalationRuleUpdateInputSerializer, request.data)
        rule = sla_config.escalation_rule_update(
            actor=request_user(request), rule=_pk(self), **data
        )
        return Response(EscalationRuleSerializer(rule, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Delete an escalation rule that never escalated anything",
        request=None,
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        sla_config.escalation_rule_delete(actor=request_user(request), rule=_pk(self))
        return Response(status=status.HTTP_204_NO_CONTENT)
