"""Input serializers describe the shape of a request (ids resolve to objects, unknown ids are a
400); the rules are the services'. Output serializers list their fields explicitly and nest
brief objects. ``status`` is read-only everywhere: it changes only through the actions."""

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from changes.choices import (
    Category,
    ChangeStatus,
    ChangeType,
    Complexity,
    DecisionRule,
    Impact,
    IncidentRelation,
    Outcome,
    RiskClass,
)
from changes.guards import Ctx
from changes.models import (
    Change,
    ChangeAuthority,
    ChangeDecision,
    ChangeEvent,
    ChangeIncidentLink,
    ChangeTemplate,
    FreezeWindow,
)
from changes.services.catalogue import MAX_TEMPLATE_DURATION
from changes.services.lifecycle import CI_MAX, TEXT_MAX, TITLE_MAX
from changes.services.links import MAX_LINKS
from changes.transitions import CHANGE
from incidents.api.serializers import ServiceBriefSerializer
from org.api.serializers import TeamBriefSerializer, UserBriefSerializer
from org.models import BusinessService, Team, User
from servicedesk.api import InputSerializer


def _users() -> Any:
    return User.objects.filter(is_active=True)


def _services() -> Any:
    return BusinessService.objects.filter(is_active=True)


# --- brief nested objects --------------------------------------------------------------------
class AuthorityBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeAuthority
        fields = ["id", "slug", "name"]


class TemplateBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeTemplate
        fields = ["id", "title", "status"]


class ChangeBriefSerializer(serializers.ModelSerializer):
    ref = serializers.CharField(read_only=True, help_text="CHG-000123")
    risk_class = serializers.ChoiceField(
        choices=RiskClass.choices, allow_blank=True, read_only=True
    )
    services = ServiceBriefSerializer(many=True, read_only=True)
    owner_team = TeamBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Change
        fields = [
            "id",
            "ref",
            "title",
            "type",
            "status",
            "risk_class",
            "planned_start",
            "planned_end",
            "services",
            "owner_team",
        ]
        read_only_fields = fields


def allowed_actions(change: Change, user: Any) -> list[str]:
    """Transitions this user may take now (their input is still validated), by API action."""
    names = {"submit_standard": "submit", "revise": "edit"}
    available = CHANGE.available(change.status, Ctx(obj=change, actor=user, now=timezone.now()))
    return list(dict.fromkeys(names.get(a, a) for a in available))


# --- changes: output -------------------------------------------------------------------------
class ChangeSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api-change-detail", help_text="This change in the API."
    )
    ref = serializers.CharField(
        read_only=True, help_text="The human reference, CHG-000123; the URL accepts it too."
    )
    requester = UserBriefSerializer(read_only=True)
    implementer = UserBriefSerializer(read_only=True, allow_null=True)
    owner_team = TeamBriefSerializer(read_only=True, allow_null=True)
    template = TemplateBriefSerializer(read_only=True, allow_null=True)
    services = ServiceBriefSerializer(many=True, read_only=True)
    current_authority = AuthorityBriefSerializer(
        read_only=True, allow_null=True, help_text="The authority whose decision is awaited."
    )
    outcome = serializers.ChoiceField(
        choices=Outcome.choices, allow_blank=True, read_only=True, help_text="Blank until done."
    )
    risk_class = serializers.ChoiceField(
        choices=RiskClass.choices,
        allow_blank=True,
        read_only=True,
        help_text="Blank until assessed.",
    )
    complexity = serializers.ChoiceField(
        choices=Complexity.choices, allow_blank=True, read_only=True
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text="Transitions you may take now, given the status and who you are (their input "
        "is still validated when you take them)."
    )

    class Meta:
        model = Change
        fields = [
            "id",
            "url",
            "ref",
            "title",
            "description",
            "type",
            "category",
            "status",
            "outcome",
            "template",
            "services",
            "configuration_items",
            "requester",
            "owner_team",
            "implementer",
            "planned_start",
            "planned_end",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "impact_if_fails",
            "complexity",
            "tested",
            "backout_tested",
            "service_tier",
            "risk_score",
            "risk_class",
            "revision",
            "authority_chain",
            "current_authority",
            "documentation_due_at",
            "pir_summary",
            "pir_lessons",
            "created_at",
            "updated_at",
            "submitted_at",
            "authorised_at",
            "scheduled_at",
            "started_at",
            "ended_at",
            "restored_at",
            "reviewed_at",
            "closed_at",
            "allowed_actions",
        ]
        read_only_fields = fields

    def get_allowed_actions(self, obj: Change) -> list[str]:
        request = self.context.get("request")
        return [] if request is None else allowed_actions(obj, request.user)


class ChangeEventSerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(read_only=True)

    class Meta:
        model = ChangeEvent
        fields = [
            "id",
            "type",
            "actor",
            "actor_name",
            "from_status",
            "to_status",
            "reason",
            "payload",
            "created_at",
        ]
        read_only_fields = fields


class ChangeDecisionSerializer(serializers.ModelSerializer):
    authority = AuthorityBriefSerializer(read_only=True)

    class Meta:
        model = ChangeDecision
        fields = [
            "id",
            "authority",
            "stage",
            "revision",
            "approver_name",
            "verdict",
            "comment",
            "created_at",
        ]
        read_only_fields = fields


class IncidentLinkSerializer(serializers.ModelSerializer):
    incident_id = serializers.IntegerField(read_only=True)
    incident_ref = serializers.CharField(source="incident.ref", read_only=True)
    incident_title = serializers.CharField(source="incident.title", read_only=True)
    linked_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = ChangeIncidentLink
        fields = [
            "incident_id",
            "incident_ref",
            "incident_title",
            "relation",
            "linked_by",
            "created_at",
        ]
        read_only_fields = fields


# --- changes: input --------------------------------------------------------------------------
class ChangeFieldsInputSerializer(InputSerializer):
    """The editable fields, shared by create and edit (limits from the services)."""

    title = serializers.CharField(max_length=TITLE_MAX)
    description = serializers.CharField(allow_blank=True, max_length=TEXT_MAX, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    service_ids = serializers.PrimaryKeyRelatedField(
        source="services", queryset=_services(), many=True, required=False
    )
    configuration_items = serializers.CharField(allow_blank=True, max_length=CI_MAX, required=False)
    owner_team_id = serializers.PrimaryKeyRelatedField(
        source="owner_team",
        queryset=Team.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    implementer_id = serializers.PrimaryKeyRelatedField(
        source="implementer", queryset=_users(), required=False, allow_null=True
    )
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    implementation_plan = serializers.CharField(
        allow_blank=True, max_length=TEXT_MAX, required=False
    )
    backout_plan = serializers.CharField(allow_blank=True, max_length=TEXT_MAX, required=False)
    test_plan = serializers.CharField(allow_blank=True, max_length=TEXT_MAX, required=False)
    impact_if_fails = serializers.ChoiceField(
        choices=Impact.choices, required=False, allow_null=True
    )
    complexity = serializers.ChoiceField(
        choices=Complexity.choices, required=False, allow_blank=True
    )
    tested = serializers.BooleanField(required=False, allow_null=True)
    backout_tested = serializers.BooleanField(required=False, allow_null=True)
    service_tier = serializers.IntegerField(
        min_value=1, max_value=4, required=False, allow_null=True
    )


class ChangeCreateInputSerializer(ChangeFieldsInputSerializer):
    title = serializers.CharField(max_length=TITLE_MAX, required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=ChangeType.choices, default=ChangeType.NORMAL)
    template_id = serializers.PrimaryKeyRelatedField(
        source="template",
        queryset=ChangeTemplate.objects.all(),
        required=False,
        allow_null=True,
        help_text="Create a standard change from this active template.",
    )
    submit = serializers.BooleanField(
        default=False,
        help_text="Submit at once (a standard change then goes straight to scheduled).",
    )


class ChangeUpdateInputSerializer(ChangeFieldsInputSerializer):
    title = serializers.CharField(max_length=TITLE_MAX, required=False)


class CompleteInputSerializer(InputSerializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    notes = serializers.CharField(allow_blank=True, default="", max_length=TEXT_MAX)
    restored_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="After a failure: when service was restored."
    )


class ReviewInputSerializer(InputSerializer):
    summary = serializers.CharField(allow_blank=True, default="", max_length=TEXT_MAX)
    lessons = serializers.CharField(allow_blank=True, default="", max_length=TEXT_MAX)


class ChangeReasonInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=2000)


class DecisionInputSerializer(InputSerializer):
    comment = serializers.CharField(allow_blank=True, default="", max_length=4000)


class RejectInputSerializer(InputSerializer):
    comment = serializers.CharField(max_length=4000, help_text="Required: why it is rejected.")


class DocumentInputSerializer(InputSerializer):
    backout_plan = serializers.CharField(allow_blank=True, default="", max_length=TEXT_MAX)
    test_plan = serializers.CharField(allow_blank=True, default="", max_length=TEXT_MAX)


class ChangeLinkIncidentsInputSerializer(InputSerializer):
    incident_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=MAX_LINKS
    )
    relation = serializers.ChoiceField(
        choices=IncidentRelation.choices, default=IncidentRelation.CAUSED_BY
    )


# --- catalogue -------------------------------------------------------------------------------
class ChangeTemplateSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-change-template-detail")
    owner = UserBriefSerializer(read_only=True)
    approved_by = UserBriefSerializer(read_only=True, allow_null=True)
    services = ServiceBriefSerializer(many=True, read_only=True)
    use_count = serializers.IntegerField(read_only=True)
    successful_count = serializers.IntegerField(read_only=True)
    failed_count = serializers.IntegerField(read_only=True, help_text="Failed or backed out.")
    flagged_for_review = serializers.SerializerMethodField(
        help_text="Failing above its threshold once enough changes are done."
    )

    class Meta:
        model = ChangeTemplate
        fields = [
            "id",
            "url",
            "title",
            "procedure",
            "category",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "services",
            "max_duration",
            "owner",
            "status",
            "failure_threshold",
            "min_sample",
            "approved_by",
            "approved_at",
            "use_count",
            "successful_count",
            "failed_count",
            "flagged_for_review",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_flagged_for_review(self, obj: ChangeTemplate) -> bool:
        from changes.selectors import template_flagged

        return template_flagged(obj)


class TemplateInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=TITLE_MAX)
    procedure = serializers.CharField(max_length=TEXT_MAX)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    implementation_plan = serializers.CharField(
        allow_blank=True, max_length=TEXT_MAX, required=False
    )
    backout_plan = serializers.CharField(allow_blank=True, max_length=TEXT_MAX, required=False)
    test_plan = serializers.CharField(allow_blank=True, max_length=TEXT_MAX, required=False)
    service_ids = serializers.PrimaryKeyRelatedField(
        source="services", queryset=_services(), many=True, required=False
    )
    max_duration = serializers.DurationField(
        required=False, help_text=f"At most {MAX_TEMPLATE_DURATION}."
    )
    failure_threshold = serializers.DecimalField(
        max_digits=4, decimal_places=2, min_value=0, max_value=1, required=False
    )
    min_sample = serializers.IntegerField(min_value=1, max_value=1000, required=False)


class TemplateUpdateInputSerializer(TemplateInputSerializer):
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    procedure = serializers.CharField(max_length=TEXT_MAX, required=False)


class ChangeAuthoritySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-change-authority-detail")
    members = UserBriefSerializer(many=True, read_only=True)

    class Meta:
        model = ChangeAuthority
        fields = [
            "id",
            "url",
            "slug",
            "name",
            "description",
            "rule",
            "required",
            "is_emergency",
            "is_active",
            "members",
        ]
        read_only_fields = fields


class AuthorityInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(allow_blank=True, default="", max_length=TEXT_MAX)
    rule = serializers.ChoiceField(choices=DecisionRule.choices, default=DecisionRule.ANY)
    required_approvals = serializers.IntegerField(
        source="required", min_value=1, max_value=100, default=1, help_text="n, for 'n of m'."
    )
    is_emergency = serializers.BooleanField(default=False)
    member_ids = serializers.PrimaryKeyRelatedField(
        source="members", queryset=_users(), many=True, default=list
    )


class MatrixCellSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    risk_class = serializers.ChoiceField(choices=RiskClass.choices)
    authorities = AuthorityBriefSerializer(many=True, help_text="The chain, in order.")


class MatrixInputSerializer(InputSerializer):
    category = serializers.ChoiceField(choices=Category.choices)
    risk_class = serializers.ChoiceField(choices=RiskClass.choices)
    authority_ids = serializers.PrimaryKeyRelatedField(
        queryset=ChangeAuthority.objects.filter(is_active=True),
        many=True,
        help_text="The chain in order; empty clears the cell.",
    )


class FreezeWindowSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-freeze-window-detail")
    services = ServiceBriefSerializer(many=True, read_only=True)
    created_by = UserBriefSerializer(read_only=True)
    all_services = serializers.SerializerMethodField()

    class Meta:
        model = FreezeWindow
        fields = [
            "id",
            "url",
            "name",
            "starts_at",
            "ends_at",
            "reason",
            "services",
            "all_services",
            "is_active",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_all_services(self, obj: FreezeWindow) -> bool:
        return not obj.services.all()


class FreezeInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=2000)
    service_ids = serializers.PrimaryKeyRelatedField(
        source="services",
        queryset=_services(),
        many=True,
        default=list,
        help_text="Empty: every service.",
    )


class CalendarChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ref = serializers.CharField(help_text="CHG-000123")
    title = serializers.CharField()
    type = serializers.ChoiceField(choices=ChangeType.choices)
    status = serializers.ChoiceField(choices=ChangeStatus.choices)
    risk_class = serializers.CharField(help_text="low, medium, high, very_high or empty")
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()
    services = ServiceBriefSerializer(many=True)
    owner_team = TeamBriefSerializer(allow_null=True)


class CalendarSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    changes = CalendarChangeSerializer(many=True)
    freezes = FreezeWindowSerializer(many=True)


class CalendarQuerySerializer(InputSerializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
