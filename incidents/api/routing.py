"""/api/v1/routing-rules/: ordered routing rules. Everyone signed in reads them; process
owners and admins write them and try them (``dry-run``) on the last 30 days' incidents."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import routing, selectors
from incidents.api.views.common import valid
from incidents.models import RoutingRule
from incidents.services import routing as svc
from org.roles import request_user
from servicedesk.api import ApiViewSet, InputSerializer, error_responses
from servicedesk.errors import NotFound

CONDITIONS_HELP = (
    'AND/OR groups: {"all": [...]} or {"any": [...]}, whose items are groups or conditions '
    '{"field": ..., "op": ..., "value": ...}. Fields: service, category, requester_department, '
    "team (in/not_in a list of ids), impact, urgency, priority (in/not_in a list of 1-4, "
    "lte/gte a level), channel (in/not_in), title, description, text (contains/not_contains a "
    'text; matches/not_matches a pattern), business_hours (is true/false, optional "calendar_id").'
)
ACTIONS_HELP = (
    'A list of {"type": ...}: set_team (team_id), assign (strategy round_robin or '
    "least_loaded, optional team_id), set_category (category_id), add_watcher (user_id), "
    "notify (user_id or team_id)."
)


@extend_schema_field(OpenApiTypes.OBJECT)
class ConditionsField(serializers.JSONField):
    pass


@extend_schema_field({"type": "array", "items": {"type": "object"}})
class ActionsField(serializers.JSONField):
    pass


class RoutingRuleSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="This rule in the API.")
    conditions = ConditionsField(help_text=CONDITIONS_HELP)
    actions = ActionsField(help_text=ACTIONS_HELP)
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "url",
            "name",
            "description",
            "position",
            "is_enabled",
            "stop_on_match",
            "conditions",
            "actions",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, obj: RoutingRule) -> str:
        return f"/api/v1/routing-rules/{obj.pk}/"

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        }
    )
    def get_created_by(self, obj: RoutingRule) -> dict[str, Any] | None:
        user = obj.created_by
        return {"id": user.pk, "name": user.name} if user else None


class RoutingRuleInputSerializer(InputSerializer):
    """Shape only; the service validates the conditions, the actions and every id."""

    name = serializers.CharField(max_length=routing.RULE_NAME_MAX)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=10**6, required=False)
    is_enabled = serializers.BooleanField(required=False, default=False)
    stop_on_match = serializers.BooleanField(required=False, default=True)
    conditions = ConditionsField(required=False, default=dict, help_text=CONDITIONS_HELP)
    actions = ActionsField(help_text=ACTIONS_HELP)


class RoutingRuleUpdateSerializer(InputSerializer):
    name = serializers.CharField(max_length=routing.RULE_NAME_MAX, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=10**6, required=False)
    is_enabled = serializers.BooleanField(required=False)
    stop_on_match = serializers.BooleanField(required=False)
    conditions = ConditionsField(required=False, help_text=CONDITIONS_HELP)
    actions = ActionsField(required=False, help_text=ACTIONS_HELP)


class DryRunInputSerializer(InputSerializer):
    days = serializers.IntegerField(
        min_value=1, max_value=90, required=False, default=svc.DRY_RUN_DAYS
    )


class DryRunBodySerializer(InputSerializer):
    """An unsaved rule to try."""

    name = serializers.CharField(max_length=routing.RULE_NAME_MAX, required=False, default="")
    stop_on_match = serializers.BooleanField(required=False, default=True)
    conditions = ConditionsField(required=False, default=dict, help_text=CONDITIONS_HELP)
    actions = ActionsField(help_text=ACTIONS_HELP)
    days = serializers.IntegerField(
        min_value=1, max_value=90, required=False, default=svc.DRY_RUN_DAYS
    )


class DryRunMatchSerializer(serializers.Serializer):
    incident_id = serializers.IntegerField()
    ref = serializers.CharField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    reasons = serializers.ListField(child=serializers.CharField())
    would = serializers.ListField(
        child=serializers.CharField(), help_text="What the rule would have done, in words."
    )
    decision = serializers.DictField(help_text="The decision as data (ids).")


class DryRunSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    looked_at = serializers.IntegerField(help_text="Incidents logged in those days.")
    matched = serializers.IntegerField()
    matches = DryRunMatchSerializer(many=True)


def _dry_run_data(rows: list[svc.DryRunRow], looked_at: int, days: int) -> dict[str, Any]:
    return {
        "days": days,
        "looked_at": looked_at,
        "matched": len(rows),
        "matches": [
            {
                "incident_id": row.incident.pk,
                "ref": row.incident.ref,
                "title": row.incident.title,
                "created_at": row.incident.created_at,
                "reasons": row.reasons,
                "would": row.would,
                "decision": row.decision.as_dict(),
            }
            for row in rows
        ],
    }


class RoutingRuleViewSet(ApiViewSet):
    """Routing rules in evaluation order."""

    queryset = RoutingRule.objects.none()
    serializer_class = RoutingRuleSerializer

    def _rule(self) -> RoutingRule:
        try:
            pk = int(self.kwargs["pk"])
        except (TypeError, ValueError):
            pk = 0
        rule = selectors.routing_rules().filter(pk=pk).first()
        if rule is None:
            raise NotFound("No such routing rule.")
        return rule

    def _out(self, rule: RoutingRule, code: int = status.HTTP_200_OK) -> Response:
        return Response(RoutingRuleSerializer(rule).data, code)

    @extend_schema(
        summary="Routing rules, in the order they run",
        responses={200: RoutingRuleSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.routing_rules())
        return self.get_paginated_response(RoutingRuleSerializer(page, many=True).data)

    @extend_schema(
        summary="Write a routing rule (process owners and admins)",
        request=RoutingRuleInputSerializer,
        responses={201: RoutingRuleSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = valid(RoutingRuleInputSerializer, request.data)
        rule = svc.routing_rule_create(actor=request_user(request), **data)
        return self._out(selectors.routing_rules().get(pk=rule.pk), status.HTTP_201_CREATED)

    @extend_schema(
        summary="One routing rule",
        responses={200: RoutingRuleSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(self._rule())

    @extend_schema(
        summary="Change a routing rule (only the fields sent; validated again as a whole)",
        request=RoutingRuleUpdateSerializer,
        responses={200: RoutingRuleSerializer, **error_responses(400, 401, 403, 404, 412)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        rule = self._rule()
        self.precondition(rule)
        data = valid(RoutingRuleUpdateSerializer, request.data)
        svc.routing_rule_update(rule=rule, actor=request_user(request), **data)
        return self._out(self._rule())

    @extend_schema(
        summary="Delete a routing rule",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        svc.routing_rule_delete(rule=self._rule(), actor=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Try this rule on the incidents of the last days (changes nothing)",
        request=DryRunInputSerializer,
        responses={200: DryRunSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="dry-run")
    def dry_run(self, request: Request, pk: str) -> Response:
        data = valid(DryRunInputSerializer, request.data)
        rows, looked_at = svc.routing_dry_run(
            actor=request_user(request), rule=self._rule(), days=data["days"]
        )
        return Response(_dry_run_data(rows, looked_at, data["days"]))

    @extend_schema(
        summary="Try an unsaved rule on the incidents of the last days (changes nothing)",
        operation_id="v1_routing_rules_dry_run_unsaved",
        request=DryRunBodySerializer,
        responses={200: DryRunSerializer, **error_responses(400, 401, 403)},
    )
    @action(detail=False, methods=["post"], url_path="dry-run")
    def dry_run_body(self, request: Request) -> Response:
        actor = request_user(request)
        data = valid(DryRunBodySerializer, request.data)
        svc.require_manager(actor)
        body = svc.clean_rule(
            name=data["name"] or "Unsaved rule",
            conditions=data["conditions"],
            actions=data["actions"],
            stop_on_match=data["stop_on_match"],
        )
        rows, looked_at = svc.routing_dry_run(actor=actor, body=body, days=data["days"])
        return Response(_dry_run_data(rows, looked_at, data["days"]))
