from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicedesk.api import InputSerializer

from .. import limits
from ..choices import Outcome, ReasonCategory, Treatment
from ..models import (
    BypassDecision,
    BypassEvent,
    BypassItem,
    BypassObligation,
    BypassPolicy,
    BypassRequest,
    BypassReview,
    StandardBypass,
)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ItemSerializer(serializers.ModelSerializer):
    gate = serializers.CharField(source="gate_id")

    class Meta:
        model = BypassItem
        fields = ["gate", "treatment", "value", "deadline"]


OUTCOMES = "How it turned out: " + ", ".join(Outcome.values)


class BypassReviewSerializer(serializers.ModelSerializer):
    outcome = serializers.CharField(help_text=OUTCOMES)

    class Meta:
        model = BypassReview
        fields = [
            "outcome",
            "links",
            "misfit",
            "proposal",
            "learning",
            "reviewer_name",
            "ledger_seq",
            "created_at",
        ]


class BypassRequestSerializer(serializers.ModelSerializer):
    ref = serializers.CharField(read_only=True)
    requester = PersonSerializer()
    beneficiary = PersonSerializer()
    items = ItemSerializer(many=True)
    recurrence = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    risk_class = serializers.CharField(help_text="low, medium, high, critical; empty in a draft")

    class Meta:
        model = BypassRequest
        fields = [
            "id",
            "ref",
            "url",
            "state",
            "requester",
            "beneficiary",
            "subject_type",
            "subject_id",
            "subject_ref",
            "items",
            "reason_category",
            "justification",
            "what_does_not_fit",
            "cost_of_not_bypassing",
            "compensating_controls",
            "refusal",
            "valid_from",
            "valid_until",
            "max_uses",
            "uses_count",
            "risk_score",
            "risk_class",
            "risk_inputs",
            "recurrence",
            "plan",
            "scope_hash",
            "submitted_at",
            "decided_at",
            "activated_at",
            "ended_at",
            "last_event_seq",
            "kind",
            "incident_ref",
            "ratification",
            "ratification_due_at",
            "review_due_at",
            "follows",
            "standard_id",
            "review",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    follows = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField()
    standard_id = serializers.IntegerField(allow_null=True)

    def get_url(self, obj: BypassRequest) -> str:
        return f"/api/v1/bypass-requests/{obj.pk}/"

    def get_follows(self, obj: BypassRequest) -> str | None:
        return f"BYP-{obj.follows_id:06d}" if obj.follows_id else None

    @extend_schema_field(BypassReviewSerializer(allow_null=True))
    def get_review(self, obj: BypassRequest) -> dict[str, Any] | None:
        review = getattr(obj, "review", None)
        return dict(BypassReviewSerializer(review).data) if review is not None else None

    def get_recurrence(self, obj: BypassRequest) -> str:
        return str((obj.risk_inputs or {}).get("text", ""))


class ItemInputSerializer(InputSerializer):
    gate = serializers.CharField(max_length=100)
    treatment = serializers.ChoiceField(choices=Treatment.choices)
    value = serializers.CharField(max_length=500, required=False, allow_blank=True)
    deadline = serializers.DateTimeField(required=False)


class BypassCreateInputSerializer(InputSerializer):
    subject_type = serializers.CharField(max_length=60)
    subject_id = serializers.IntegerField(min_value=1, max_value=2**53)
    beneficiary_id = serializers.IntegerField(min_value=1, max_value=2**53, required=False)
    items = serializers.ListField(
        child=ItemInputSerializer(), min_length=1, max_length=limits.MAX_ITEMS
    )
    reason_category = serializers.ChoiceField(choices=ReasonCategory.choices)
    justification = serializers.CharField(max_length=limits.TEXT_MAX)
    what_does_not_fit = serializers.CharField(max_length=limits.TEXT_MAX)
    cost_of_not_bypassing = serializers.CharField(
        max_length=limits.TEXT_MAX, required=False, allow_blank=True
    )
    compensating_controls = serializers.CharField(
        max_length=limits.TEXT_MAX, required=False, allow_blank=True
    )
    refusal = serializers.CharField(max_length=limits.TEXT_MAX, required=False, allow_blank=True)
    valid_from = serializers.DateTimeField(required=False)
    valid_until = serializers.DateTimeField(required=False)
    max_uses = serializers.IntegerField(min_value=1, max_value=limits.MAX_USES, required=False)
    submit = serializers.BooleanField(required=False, default=True)


class BypassCommentInputSerializer(InputSerializer):
    comment = serializers.CharField(max_length=limits.TEXT_MAX, required=False, allow_blank=True)


class BypassReasonInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=limits.TEXT_MAX, required=False, allow_blank=True)


class BypassAnswerInputSerializer(InputSerializer):
    answer = serializers.CharField(max_length=limits.TEXT_MAX)


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = BypassDecision
        fields = [
            "id",
            "approver_id",
            "approver_name",
            "verdict",
            "comment",
            "scope_hash",
            "ledger_seq",
            "created_at",
        ]


class EventSerializer(serializers.ModelSerializer):
    request_ref = serializers.SerializerMethodField()

    class Meta:
        model = BypassEvent
        fields = [
            "seq",
            "request_ref",
            "type",
            "actor_name",
            "from_state",
            "to_state",
            "body",
            "prev_hash",
            "hash",
            "created_at",
        ]

    def get_request_ref(self, obj: BypassEvent) -> str | None:
        return f"BYP-{obj.request_id:06d}" if obj.request_id else None


class PolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = BypassPolicy
        fields = [
            "id",
            "gate_id",
            "risk_class",
            "version",
            "rule",
            "fallback_group",
            "max_duration_hours",
            "max_uses",
            "remind_after_hours",
            "escalate_after_hours",
            "lapse_after_hours",
            "is_active",
            "created_at",
        ]


class GateSerializer(serializers.Serializer):
    id = serializers.CharField()
    process = serializers.CharField()
    title = serializers.CharField()
    checks = serializers.CharField()
    treatments = serializers.ListField(child=serializers.CharField())
    bypassable = serializers.BooleanField()
    owner = serializers.CharField()
    kind = serializers.CharField()
    weight = serializers.IntegerField()
    version = serializers.IntegerField()


class VerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    length = serializers.IntegerField()
    head = serializers.CharField()
    broken_seq = serializers.IntegerField(allow_null=True)
    problem = serializers.CharField()


def item_data(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in i.items() if v not in (None, "")} for i in items]


class ObligationSerializer(serializers.ModelSerializer):
    request_ref = serializers.CharField(source="request.ref", read_only=True)
    done_by = serializers.CharField(source="done_by.name", read_only=True, allow_null=True)

    class Meta:
        model = BypassObligation
        fields = [
            "id",
            "request_ref",
            "kind",
            "gate_id",
            "subject_type",
            "subject_id",
            "subject_ref",
            "text",
            "due_at",
            "created_at",
            "done_at",
            "done_by",
            "done_note",
        ]


class ObligationDoneInputSerializer(InputSerializer):
    note = serializers.CharField(max_length=limits.TEXT_MAX, required=False, allow_blank=True)


class PolicySaveInputSerializer(InputSerializer):
    """A new version of the policy for a gate and risk class (``*`` for any)."""

    gate_id = serializers.CharField(max_length=100)
    risk_class = serializers.CharField(max_length=10)
    rule = serializers.JSONField()
    fallback_group = serializers.CharField(max_length=150, required=False, allow_blank=True)
    max_duration_hours = serializers.IntegerField(required=False)
    max_uses = serializers.IntegerField(required=False)
    remind_after_hours = serializers.IntegerField(required=False)
    escalate_after_hours = serializers.IntegerField(required=False)
    lapse_after_hours = serializers.IntegerField(required=False)


class BreakGlassInputSerializer(InputSerializer):
    gate = serializers.CharField(max_length=100)
    subject_type = serializers.CharField(max_length=60)
    subject_id = serializers.IntegerField(min_value=1, max_value=2**53)
    incident_id = serializers.IntegerField(min_value=1, max_value=2**53)
    password = serializers.CharField(max_length=limits.PASSWORD_MAX, trim_whitespace=False)
    justification = serializers.CharField(max_length=limits.TEXT_MAX)
    refusal = serializers.CharField(max_length=limits.TEXT_MAX, required=False, allow_blank=True)


class BypassReviewInputSerializer(InputSerializer):
    outcome = serializers.CharField(max_length=20, help_text=OUTCOMES)
    misfit = serializers.CharField(max_length=limits.TEXT_MAX)
    proposal = serializers.CharField(max_length=limits.TEXT_MAX, required=False, allow_blank=True)
    links = serializers.ListField(
        child=serializers.CharField(max_length=500),
        required=False,
        max_length=limits.MAX_REVIEW_LINKS,
    )


class RestoreInputSerializer(InputSerializer):
    note = serializers.CharField(max_length=limits.TEXT_MAX)


class StandardBypassSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = StandardBypass
        fields = [
            "id",
            "title",
            "gate_id",
            "treatment",
            "reason_category",
            "service_tier",
            "subject_type",
            "max_duration_hours",
            "max_uses",
            "review_every_days",
            "next_review_at",
            "degrade_percent",
            "degrade_min_reviews",
            "is_active",
            "demoted_at",
            "demoted_reason",
            "owner",
            "created_at",
        ]
        read_only_fields = fields


class StandardBypassInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=200)
    gate_id = serializers.CharField(max_length=100)
    treatment = serializers.ChoiceField(choices=Treatment.choices)
    reason_category = serializers.ChoiceField(choices=ReasonCategory.choices)
    service_tier = serializers.IntegerField(min_value=1, max_value=4)
    subject_type = serializers.CharField(max_length=60)
    max_duration_hours = serializers.IntegerField(min_value=1, max_value=168, required=False)
    max_uses = serializers.IntegerField(min_value=1, max_value=5, required=False)
    review_every_days = serializers.IntegerField(min_value=7, max_value=365, required=False)
    degrade_percent = serializers.IntegerField(min_value=1, max_value=100, required=False)
    degrade_min_reviews = serializers.IntegerField(min_value=1, max_value=50, required=False)


class StandardReviewInputSerializer(InputSerializer):
    keep = serializers.BooleanField()
    note = serializers.CharField(max_length=limits.TEXT_MAX)
