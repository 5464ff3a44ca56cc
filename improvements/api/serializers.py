"""Output serializers (explicit fields, brief nested objects) and input serializers (shape
only; the services validate meaning)."""

from typing import Any

from rest_framework import serializers

from bypass import gates
from servicedesk.api import InputSerializer

from .. import limits
from ..choices import Topic
from ..models import Improvement, ImprovementEvent, ImprovementEvidence, ProcessDebt


class ImprovementPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ImprovementServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ImprovementEvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImprovementEvidence
        fields = ["kind", "object_id", "ref", "url", "created_at"]


class ImprovementEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = ImprovementEvent
        fields = ["id", "type", "actor", "from_status", "to_status", "reason", "created_at"]


class ImprovementSerializer(serializers.ModelSerializer):
    ref = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()
    suggested_by = ImprovementPersonSerializer()
    owner = ImprovementPersonSerializer(allow_null=True)
    service = ImprovementServiceSerializer(allow_null=True)
    voted = serializers.BooleanField(help_text="Whether you vote for it.")

    class Meta:
        model = Improvement
        fields = [
            "id",
            "ref",
            "url",
            "title",
            "description",
            "topic",
            "service",
            "gate_id",
            "status",
            "suggested_by",
            "owner",
            "owner_group",
            "source",
            "votes_count",
            "voted",
            "decline_reason",
            "created_at",
            "updated_at",
            "decided_at",
            "done_at",
        ]
        read_only_fields = fields

    def get_url(self, obj: Improvement) -> str:
        return f"/api/v1/improvements/{obj.pk}/"


class ImprovementDetailSerializer(ImprovementSerializer):
    evidence = ImprovementEvidenceSerializer(many=True)
    actions = serializers.SerializerMethodField(help_text="What you may do with it now.")

    class Meta(ImprovementSerializer.Meta):
        fields = [*ImprovementSerializer.Meta.fields, "evidence", "actions"]
        read_only_fields = fields

    def get_actions(self, obj: Improvement) -> list[str]:
        return list(self.context.get("actions", []))


class ImprovementCreateInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=limits.TITLE_MAX)
    description = serializers.CharField(max_length=limits.TEXT_MAX)
    topic = serializers.ChoiceField(choices=Topic.choices, required=False, default=Topic.PROCESS)
    service_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    gate_id = serializers.CharField(required=False, allow_blank=True, max_length=limits.GATE_ID_MAX)
    evidence = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=limits.EVIDENCE_MAX,
        help_text="What shows the need, as kind:id (incident:42, problem:7, change:3, "
        "bypass_request:12, process_debt:2).",
    )


class ImprovementDeclineInputSerializer(InputSerializer):
    reason = serializers.CharField(
        max_length=limits.REASON_MAX,
        allow_blank=True,
        help_text=f"Why (at least {limits.REASON_MIN} characters): the suggester reads it.",
    )


class ImprovementReassignInputSerializer(InputSerializer):
    owner_id = serializers.IntegerField(min_value=1)


class ImprovementEvidenceInputSerializer(InputSerializer):
    evidence = serializers.CharField(max_length=40, help_text="kind:id, e.g. incident:42")


class ProcessDebtSerializer(serializers.ModelSerializer):
    ref = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()
    gate_title = serializers.SerializerMethodField()
    improvement = serializers.SerializerMethodField()

    class Meta:
        model = ProcessDebt
        fields = [
            "id",
            "ref",
            "url",
            "gate_id",
            "gate_title",
            "dimension",
            "key_id",
            "key_label",
            "period_start",
            "window_days",
            "threshold",
            "request_count",
            "request_ids",
            "owner_group",
            "status",
            "improvement",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, obj: ProcessDebt) -> str:
        return f"/api/v1/process-debt/{obj.pk}/"

    def get_gate_title(self, obj: ProcessDebt) -> str:
        gate = gates.get(obj.gate_id)
        return gate.title if gate else obj.gate_id

    def get_improvement(self, obj: ProcessDebt) -> dict[str, Any] | None:
        if obj.improvement_id is None:
            return None
        return {"id": obj.improvement_id, "ref": f"IMP-{obj.improvement_id:06d}"}
