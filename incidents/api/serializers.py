"""Input serializers describe the shape of a request (ids resolve to objects, unknown ids are a
400); the rules are the services'. Output serializers list their fields explicitly, nest brief
objects and never carry internal data to a requester. ``status`` is read-only everywhere."""

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject, cached_property, empty
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from incidents import access
from incidents.choices import (
    ON_BEHALF_CHANNELS,
    Channel,
    EscalationAction,
    EscalationClock,
    Level,
    PendingReason,
    ResolutionCode,
)
from incidents.guards import Ctx
from incidents.limits import (
    AFFECTED_USERS_MAX,
    BULK_ASSIGN_MAX,
    CHANGE_REF_MAX,
    DESCRIPTION_MAX,
    ID_MAX,
    LINK_INCIDENTS_MAX,
    RATING_COMMENT_MAX,
    REASON_MAX,
    REQUESTER_MIN_IMPACT,
    TEXT_MAX,
    TITLE_MAX,
)
from incidents.models import (
    CannedReply,
    Category,
    EscalationRule,
    Incident,
    IncidentAttachment,
    IncidentComment,
    IncidentEvent,
    IncidentSla,
    Problem,
    Satisfaction,
    SavedView,
    SlaPolicy,
)
from incidents.models.saved_views import SAVED_VIEW_NAME_MAX
from incidents.sla import badges as sla_badges
from incidents.transitions import INCIDENT, PROBLEM
from org.api.serializers import TeamBriefSerializer, UserBriefSerializer
from org.models import BusinessService, Team, User
from servicedesk.api import InputSerializer
from servicedesk.lean import LeanSerializerMixin


def _absolute(context: dict[str, Any], name: str, **kwargs: Any) -> str:
    url = reverse(name, kwargs=kwargs)
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


def _viewer_is_agent(context: dict[str, Any]) -> bool:
    """Whether the person the response is for works tickets. No request: assume not."""
    request = context.get("request")
    return request is not None and access.is_agent(request.user)


def _users() -> Any:
    return User.objects.filter(is_active=True)


def _teams() -> Any:
    return Team.objects.filter(is_active=True)


def _services() -> Any:
    return BusinessService.objects.filter(is_active=True)


def _categories() -> Any:
    return Category.objects.filter(is_active=True)


# --- brief nested objects --------------------------------------------------------------------
class ServiceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessService
        fields = ["id", "slug", "name"]


class CategoryBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "slug", "name"]


class ProblemBriefSerializer(LeanSerializerMixin, serializers.ModelSerializer):
    ref = serializers.CharField(read_only=True)

    class Meta:
        model = Problem
        fields = ["id", "ref", "title", "status"]


class IncidentBriefSerializer(serializers.ModelSerializer):
    ref = serializers.CharField(read_only=True)

    class Meta:
        model = Incident
        fields = ["id", "ref", "title", "status"]


# --- incidents: output -----------------------------------------------------------------------
class IncidentSlaSerializer(LeanSerializerMixin, serializers.ModelSerializer):
    """The incident's SLA clocks as last computed (elapsed: business time, as of
    ``computed_at``). Badges: on_track, at_risk, breached, paused, met, none."""

    policy = serializers.SerializerMethodField()
    calendar_id = serializers.IntegerField(read_only=True, allow_null=True)
    paused = serializers.BooleanField(source="is_paused", read_only=True)
    pause_reason = serializers.CharField(
        read_only=True, help_text="While paused: requester, vendor, change or other."
    )
    response_target_seconds = serializers.SerializerMethodField()
    resolution_target_seconds = serializers.SerializerMethodField()
    response_elapsed_seconds = serializers.SerializerMethodField()
    resolution_elapsed_seconds = serializers.SerializerMethodField()
    response_badge = serializers.SerializerMethodField()
    resolution_badge = serializers.SerializerMethodField()
    badge = serializers.SerializerMethodField()

    class Meta:
        model = IncidentSla
        fields = [
            "policy",
            "calendar_id",
            "started_at",
            "response_target_seconds",
            "resolution_target_seconds",
            "response_due_at",
            "resolution_due_at",
            "response_elapsed_seconds",
            "resolution_elapsed_seconds",
            "responded_at",
            "stopped_at",
            "paused",
            "paused_since",
            "pause_reason",
            "response_breached_at",
            "resolution_breached_at",
            "computed_at",
            "response_badge",
            "resolution_badge",
            "badge",
        ]
        read_only_fields = fields

    @extend_schema_field(
        inline_serializer(
            "SlaPolicyBrief",
            {"id": serializers.IntegerField(allow_null=True), "name": serializers.CharField()},
            allow_null=True,
        )
    )
    def get_policy(self, obj: IncidentSla) -> dict[str, Any] | None:
        if not obj.policy_name:
            return None
        return {"id": obj.policy_id, "name": obj.policy_name}

    @staticmethod
    def _seconds(value: Any) -> int | None:
        return None if value is None else int(value.total_seconds())

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_response_target_seconds(self, obj: IncidentSla) -> int | None:
        return self._seconds(obj.response_target)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_resolution_target_seconds(self, obj: IncidentSla) -> int | None:
        return self._seconds(obj.resolution_target)

    @extend_schema_field(OpenApiTypes.INT)
    def get_response_elapsed_seconds(self, obj: IncidentSla) -> int | None:
        return self._seconds(obj.response_elapsed)

    @extend_schema_field(OpenApiTypes.INT)
    def get_resolution_elapsed_seconds(self, obj: IncidentSla) -> int | None:
        return self._seconds(obj.resolution_elapsed)

    def _badges(self, obj: IncidentSla) -> tuple[str, str, str]:
        cached = getattr(obj, "_badges", None)
        if cached is None:
            cached = sla_badges(obj, timezone.now())
            obj._badges = cached  # type: ignore[attr-defined]
        return cached

    def get_response_badge(self, obj: IncidentSla) -> str:
        return self._badges(obj)[0]

    def get_resolution_badge(self, obj: IncidentSla) -> str:
        return self._badges(obj)[1]

    def get_badge(self, obj: IncidentSla) -> str:
        return self._badges(obj)[2]


class FastIdentityField(serializers.HyperlinkedIdentityField):
    """``HyperlinkedIdentityField`` that reverses the route and builds the absolute prefix once
    per serializer (a list), then only formats the id into it for each row."""

    def get_url(self, obj: Any, view_name: str, request: Any, format: Any) -> Any:
        if format is not None or self.lookup_field != "pk":
            return super().get_url(obj, view_name, request, format)
        template = getattr(self, "_template", None)
        if template is None or template[0] is not request:
            sentinel = 987654321
            url = self.reverse(view_name, kwargs={self.lookup_url_kwarg: sentinel}, request=request)
            head, _, tail = url.rpartition(str(sentinel))
            template = self._template = (request, head, tail)
        return f"{template[1]}{obj.pk}{template[2]}"


class IncidentSerializer(LeanSerializerMixin, serializers.ModelSerializer):
    """One incident. In a list the nested serializers are built once (not per row), the URL is
    formatted from one reversed route, and what depends only on the viewer is computed once."""

    url = FastIdentityField(view_name="api-incident-detail", help_text="This incident in the API.")
    ref = serializers.CharField(
        read_only=True, help_text="The human reference, INC-000123; the URL accepts it too."
    )
    requester = UserBriefSerializer(read_only=True)
    reported_by = UserBriefSerializer(read_only=True)
    service = ServiceBriefSerializer(read_only=True, allow_null=True)
    category = CategoryBriefSerializer(read_only=True, allow_null=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    assignee = UserBriefSerializer(read_only=True, allow_null=True)
    pending_reason = serializers.ChoiceField(
        choices=PendingReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Blank unless pending.",
    )
    resolution_code = serializers.ChoiceField(
        choices=ResolutionCode.choices,
        allow_blank=True,
        read_only=True,
        help_text="Blank until resolved.",
    )
    problem = serializers.SerializerMethodField(
        help_text="The linked problem; always null for requesters (problem management is internal)."
    )
    merged_into = IncidentBriefSerializer(
        read_only=True,
        allow_null=True,
        help_text="The incident this duplicate was merged into (its requester follows that one).",
    )
    sla = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(
        help_text="Transitions you may take now, given the status and who you are (their input "
        "is still validated when you take them)."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "url",
            "ref",
            "title",
            "description",
            "status",
            "priority",
            "impact",
            "urgency",
            "channel",
            "requester",
            "reported_by",
            "service",
            "category",
            "team",
            "assignee",
            "pending_reason",
            "affected_users",
            "is_major",
            "workaround",
            "resolution_code",
            "resolution_notes",
            "problem",
            "merged_into",
            "reopened_count",
            "created_at",
            "updated_at",
            "due_at",
            "first_response_at",
            "requester_replied_at",
            "resolved_at",
            "closed_at",
            "allowed_actions",
            "sla",
        ]
        read_only_fields = fields

    @extend_schema_field(IncidentSlaSerializer(allow_null=True))
    def get_sla(self, obj: Incident) -> dict[str, Any] | None:
        """SLA clocks, for analysts (requesters read ``due_at``, the expected resolution)."""
        if not self._agent():
            return None
        try:
            state = obj.sla
        except IncidentSla.DoesNotExist:
            return None
        return self._nested("_sla_serializer", IncidentSlaSerializer).to_representation(state)

    def _agent(self) -> bool:
        """Whether the viewer works tickets, asked once per serializer (once per list)."""
        cached = getattr(self, "_viewer_agent", None)
        if cached is None:
            cached = self._viewer_agent = _viewer_is_agent(self.context)
        return cached

    def _nested(self, name: str, serializer_class: Any) -> Any:
        """One instance of a nested serializer for every row (building one per row copies all
        its fields each time)."""
        serializer = getattr(self, name, None)
        if serializer is None:
            serializer = serializer_class()
            setattr(self, name, serializer)
        return serializer

    def get_allowed_actions(self, obj: Incident) -> list[str]:
        if self._actor is None:
            return []
        return INCIDENT.available(obj.status, Ctx(obj=obj, actor=self._actor, now=timezone.now()))

    @cached_property
    def _actor(self) -> Any:
        """The viewer, looked up once per serializer (once per list) and unwrapped: the
        request's user is a lazy proxy, and every attribute the guards read through it (pk,
        roles, teams — a dozen per row) costs a proxy call."""
        request = self.context.get("request")
        user = None if request is None else request.user
        if isinstance(user, LazyObject):
            lazy: Any = user
            if lazy._wrapped is empty:
                lazy._setup()
            user = lazy._wrapped
        return user

    @extend_schema_field(ProblemBriefSerializer(allow_null=True))
    def get_problem(self, obj: Incident) -> dict[str, Any] | None:
        if obj.problem_id is None or not self._agent():
            return None
        return self._nested("_problem_serializer", ProblemBriefSerializer).to_representation(
            obj.problem
        )


class IncidentEventSerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(read_only=True)
    internal = serializers.BooleanField(source="is_internal", read_only=True)
    payload = serializers.SerializerMethodField(
        help_text="Machine-readable detail; always empty for requesters."
    )

    class Meta:
        model = IncidentEvent
        fields = [
            "id",
            "type",
            "actor",
            "actor_name",
            "from_status",
            "to_status",
            "reason",
            "payload",
            "internal",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, obj: IncidentEvent) -> dict[str, Any]:
        return obj.payload if _viewer_is_agent(self.context) else {}


class IncidentCommentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    author = UserBriefSerializer(read_only=True)
    internal = serializers.BooleanField(source="is_internal", read_only=True)

    class Meta:
        model = IncidentComment
        fields = ["id", "url", "author", "body", "internal", "created_at"]
        read_only_fields = fields

    def get_url(self, obj: IncidentComment) -> str:
        return _absolute(
            self.context, "api-incident-comment-detail", pk=obj.incident_id, comment_id=obj.pk
        )


class IncidentAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    uploaded_by = UserBriefSerializer(read_only=True)
    internal = serializers.BooleanField(source="is_internal", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IncidentAttachment
        fields = [
            "id",
            "url",
            "filename",
            "content_type",
            "size",
            "sha256",
            "internal",
            "uploaded_by",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_url(self, obj: IncidentAttachment) -> str:
        return _absolute(
            self.context,
            "api-incident-attachment-detail",
            pk=obj.incident_id,
            attachment_id=obj.pk,
        )

    def get_download_url(self, obj: IncidentAttachment) -> str:
        url = reverse(
            "api-incident-attachment-download",
            kwargs={"pk": obj.incident_id, "attachment_id": obj.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class SatisfactionSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Satisfaction
        fields = ["id", "url", "rating", "comment", "resolution_number", "created_at"]
        read_only_fields = fields

    def get_url(self, obj: Satisfaction) -> str:
        return _absolute(
            self.context, "api-incident-rating-detail", pk=obj.incident_id, rating_id=obj.pk
        )


# --- incidents: input ------------------------------------------------------------------------
class IncidentCreateInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=TITLE_MAX)
    description = serializers.CharField(allow_blank=True, default="", max_length=TEXT_MAX)
    service_id = serializers.PrimaryKeyRelatedField(
        source="service", queryset=_services(), required=False, allow_null=True
    )
    category_id = serializers.PrimaryKeyRelatedField(
        source="category", queryset=_categories(), required=False, allow_null=True
    )
    impact = serializers.ChoiceField(
        choices=Level.choices,
        default=Level.MEDIUM,
        help_text=f"Requesters may report {REQUESTER_MIN_IMPACT} (some people) or "
        f"{Level.LOW.value} (just me); the desk raises it through triage.",
    )
    urgency = serializers.ChoiceField(choices=Level.choices, default=Level.MEDIUM)
    affected_users = serializers.IntegerField(min_value=1, max_value=AFFECTED_USERS_MAX, default=1)
    requester_id = serializers.PrimaryKeyRelatedField(
        source="requester",
        queryset=_users(),
        required=False,
        allow_null=True,
        help_text="Log the incident on behalf of this person (analysts only).",
    )
    team_id = serializers.PrimaryKeyRelatedField(
        source="team", queryset=_teams(), required=False, allow_null=True
    )
    is_major = serializers.BooleanField(default=False)
    channel = serializers.ChoiceField(
        choices=[(Channel.API.value, Channel.API.label)]
        + [(c.value, c.label) for c in ON_BEHALF_CHANNELS],
        default=Channel.API,
        help_text="How the caller reached the desk, when an analyst logs on their behalf "
        "(analysts only; a requester's own report is always api).",
    )

    def validate_impact(self, value: int) -> int:
        """A requester reports what the report form offers (impact 3 or 4): priority 1 and 2
        are the desk's call, made through triage."""
        if int(value) < REQUESTER_MIN_IMPACT and not _viewer_is_agent(self.context):
            raise serializers.ValidationError(
                f"Requesters report impact {REQUESTER_MIN_IMPACT} (some people) or "
                f"{Level.LOW.value} (just me); a higher impact, and with it priority 1, is set "
                "by the service desk when it triages the incident."
            )
        return value


class IncidentUpdateInputSerializer(InputSerializer):
    """What may change after logging; only the fields sent are changed."""

    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    description = serializers.CharField(
        allow_blank=True, max_length=DESCRIPTION_MAX, required=False
    )


class AssignInputSerializer(InputSerializer):
    team_id = serializers.PrimaryKeyRelatedField(
        source="team", queryset=_teams(), required=False, allow_null=True
    )
    assignee_id = serializers.PrimaryKeyRelatedField(
        source="assignee", queryset=_users(), required=False, allow_null=True
    )


class BulkAssignInputSerializer(AssignInputSerializer):
    incident_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        allow_empty=False,
        max_length=BULK_ASSIGN_MAX,
    )


class PendInputSerializer(InputSerializer):
    reason = serializers.ChoiceField(choices=PendingReason.choices)
    note = serializers.CharField(allow_blank=True, default="", max_length=REASON_MAX)
    note_public = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Whether the requester reads the note. Default: only when waiting on them "
        "(the note is then the question); otherwise it is an internal note.",
    )


class ResolveInputSerializer(InputSerializer):
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices)
    resolution_notes = serializers.CharField(max_length=TEXT_MAX)


class ReasonInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=REASON_MAX)


class TriageInputSerializer(InputSerializer):
    impact = serializers.ChoiceField(choices=Level.choices, required=False)
    urgency = serializers.ChoiceField(choices=Level.choices, required=False)
    category_id = serializers.PrimaryKeyRelatedField(
        source="category", queryset=_categories(), required=False
    )
    service_id = serializers.PrimaryKeyRelatedField(
        source="service", queryset=_services(), required=False
    )
    is_major = serializers.BooleanField(required=False)
    affected_users = serializers.IntegerField(
        min_value=1, max_value=AFFECTED_USERS_MAX, required=False
    )


class CommentInputSerializer(InputSerializer):
    body = serializers.CharField(max_length=TEXT_MAX)
    internal = serializers.BooleanField(default=False, help_text="An internal note (analysts).")


class RateInputSerializer(InputSerializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True, default="", max_length=RATING_COMMENT_MAX)


class AttachmentInputSerializer(InputSerializer):
    file = serializers.FileField()
    internal = serializers.BooleanField(default=False, help_text="Only analysts see it.")


# --- problems --------------------------------------------------------------------------------
class ProblemSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api-problem-detail", help_text="This problem in the API."
    )
    ref = serializers.CharField(
        read_only=True, help_text="The human reference, PRB-000123; the URL accepts it too."
    )
    owner_team = TeamBriefSerializer(read_only=True, allow_null=True)
    created_by = UserBriefSerializer(read_only=True)
    services = ServiceBriefSerializer(many=True, read_only=True)
    incident_count = serializers.IntegerField(read_only=True)
    open_incident_count = serializers.IntegerField(read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = [
            "id",
            "url",
            "ref",
            "title",
            "description",
            "status",
            "owner_team",
            "created_by",
            "services",
            "root_cause",
            "workaround",
            "workaround_published_at",
            "permanent_fix",
            "fix_change_ref",
            "incident_count",
            "open_incident_count",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "allowed_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, obj: Problem) -> list[str]:
        return [t.action for t in PROBLEM.actions_from(obj.status)]


class ProblemCreateInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=TITLE_MAX)
    description = serializers.CharField(allow_blank=True, default="", max_length=TEXT_MAX)
    service_ids = serializers.PrimaryKeyRelatedField(
        source="services", queryset=_services(), many=True, required=False
    )
    owner_team_id = serializers.PrimaryKeyRelatedField(
        source="owner_team", queryset=_teams(), required=False, allow_null=True
    )


class ProblemUpdateInputSerializer(InputSerializer):
    """Every field optional: only the ones sent are changed."""

    description = serializers.CharField(allow_blank=True, required=False, max_length=TEXT_MAX)
    root_cause = serializers.CharField(allow_blank=True, required=False, max_length=TEXT_MAX)
    permanent_fix = serializers.CharField(allow_blank=True, required=False, max_length=TEXT_MAX)
    fix_change_ref = serializers.CharField(
        allow_blank=True, required=False, max_length=CHANGE_REF_MAX
    )


class LinkIncidentsInputSerializer(InputSerializer):
    move = serializers.BooleanField(
        default=False,
        help_text="Confirm moving incidents that are linked to another problem (else 409).",
    )
    send_workaround = serializers.BooleanField(
        default=False,
        help_text="Send the problem's published workaround to the linked open incidents (only "
        "when true).",
    )
    incident_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        allow_empty=False,
        max_length=LINK_INCIDENTS_MAX,
    )


class WorkaroundInputSerializer(InputSerializer):
    workaround = serializers.CharField(max_length=TEXT_MAX)


class KnownErrorInputSerializer(InputSerializer):
    root_cause = serializers.CharField(allow_blank=True, default="", max_length=TEXT_MAX)


class ProblemResolveInputSerializer(InputSerializer):
    permanent_fix = serializers.CharField(allow_blank=True, default="", max_length=TEXT_MAX)
    fix_change_ref = serializers.CharField(allow_blank=True, default="", max_length=CHANGE_REF_MAX)


class MergeInputSerializer(InputSerializer):
    into_id = serializers.IntegerField(min_value=1, help_text="The incident that is kept.")
    note = serializers.CharField(allow_blank=True, default="", max_length=REASON_MAX)


class UnlinkProblemInputSerializer(InputSerializer):
    reason = serializers.CharField(allow_blank=True, default="", max_length=REASON_MAX)


# --- known errors ------------------------------------------------------------------------------
class KnownErrorSerializer(serializers.ModelSerializer):
    """What everyone may read of a problem with a published workaround."""

    url = serializers.HyperlinkedIdentityField(
        view_name="api-known-error-detail", help_text="This known error in the API."
    )
    ref = serializers.CharField(read_only=True)
    services = ServiceBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "url",
            "ref",
            "title",
            "status",
            "services",
            "workaround",
            "workaround_published_at",
        ]
        read_only_fields = fields


# --- canned replies ----------------------------------------------------------------------------
class CannedReplySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api-canned-reply-detail", help_text="This canned reply in the API."
    )
    team = TeamBriefSerializer(read_only=True)
    created_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = CannedReply
        fields = [
            "id",
            "url",
            "team",
            "title",
            "body",
            "is_active",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CannedReplyCreateInputSerializer(InputSerializer):
    team_id = serializers.PrimaryKeyRelatedField(source="team", queryset=_teams())
    title = serializers.CharField(max_length=120)
    body = serializers.CharField(max_length=5000)


class CannedReplyUpdateInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=120, required=False)
    body = serializers.CharField(max_length=5000, required=False)
    is_active = serializers.BooleanField(required=False)


class SavedViewSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="This saved view in the API.")
    queue_url = serializers.CharField(
        source="url", read_only=True, help_text="The queue page showing this view."
    )

    class Meta:
        model = SavedView
        fields = ["id", "url", "name", "tab", "filters", "ordering", "queue_url", "created_at"]
        read_only_fields = fields

    def get_url(self, obj: SavedView) -> str:
        return reverse("api-saved-view-detail", args=[obj.pk])


class SavedViewInputSerializer(InputSerializer):
    """Shape only; the service checks the tab, the filters and the sort like the queue page."""

    name = serializers.CharField(max_length=SAVED_VIEW_NAME_MAX)
    tab = serializers.CharField(max_length=20, help_text="mine, triage, unassigned, team, …")
    filters = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200),
        required=False,
        default=dict,
        help_text='The queue\'s filters by their query-string names, e.g. {"priority": "1"}.',
    )
    ordering = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)


class SavedViewUpdateSerializer(SavedViewInputSerializer):
    name = serializers.CharField(max_length=SAVED_VIEW_NAME_MAX, required=False)
    tab = serializers.CharField(max_length=20, required=False)
    filters = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200), required=False
    )
    ordering = serializers.CharField(required=False, allow_blank=True, max_length=20)


class WatcherInputSerializer(InputSerializer):
    user_id = serializers.PrimaryKeyRelatedField(
        source="user",
        queryset=_users(),
        required=False,
        allow_null=True,
        help_text="The colleague to add or remove (default: yourself).",
    )


# --- SLA state, SLA policies and escalation rules ----------------------------------------------
def _minutes(value: Any) -> int:
    return int(value.total_seconds() // 60)


class SlaPolicySerializer(serializers.ModelSerializer):
    """Targets are in business minutes on the policy's calendar."""

    url = serializers.SerializerMethodField()

    service_ids = serializers.SerializerMethodField()
    category_ids = serializers.SerializerMethodField()
    calendar_id = serializers.IntegerField(read_only=True, allow_null=True)
    priorities = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    channels = serializers.ListField(child=serializers.CharField(), read_only=True)
    response_target_minutes = serializers.SerializerMethodField()
    resolution_target_minutes = serializers.SerializerMethodField()

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "url",
            "name",
            "description",
            "position",
            "is_active",
            "priorities",
            "service_ids",
            "category_ids",
            "channels",
            "response_target_minutes",
            "resolution_target_minutes",
            "calendar_id",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, obj: SlaPolicy) -> str:
        return _absolute(self.context, "api-sla-policy-detail", pk=obj.pk)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_service_ids(self, obj: SlaPolicy) -> list[int]:
        return sorted(s.pk for s in obj.services.all())

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_category_ids(self, obj: SlaPolicy) -> list[int]:
        return sorted(c.pk for c in obj.categories.all())

    @extend_schema_field(OpenApiTypes.INT)
    def get_response_target_minutes(self, obj: SlaPolicy) -> int:
        return _minutes(obj.response_target)

    @extend_schema_field(OpenApiTypes.INT)
    def get_resolution_target_minutes(self, obj: SlaPolicy) -> int:
        return _minutes(obj.resolution_target)


TARGET_MINUTES_MAX = 365 * 24 * 60


class SlaPolicyInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    is_active = serializers.BooleanField(required=False)
    priorities = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=4), required=False, max_length=4
    )
    service_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=500,
    )
    category_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=500,
    )
    channels = serializers.ListField(
        child=serializers.CharField(max_length=10),
        required=False,
        max_length=10,
        help_text="Channels: " + ", ".join(Channel.values) + ".",
    )
    response_target_minutes = serializers.IntegerField(min_value=1, max_value=TARGET_MINUTES_MAX)
    resolution_target_minutes = serializers.IntegerField(min_value=1, max_value=TARGET_MINUTES_MAX)
    calendar_id = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True
    )


class SlaPolicyUpdateInputSerializer(SlaPolicyInputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    response_target_minutes = serializers.IntegerField(
        min_value=1, max_value=TARGET_MINUTES_MAX, required=False
    )
    resolution_target_minutes = serializers.IntegerField(
        min_value=1, max_value=TARGET_MINUTES_MAX, required=False
    )


class EscalationLevelSerializer(serializers.Serializer):
    percent = serializers.IntegerField(
        required=False, help_text="Share of the target (response/resolution clocks)."
    )
    minutes = serializers.IntegerField(
        required=False, help_text="Business minutes since the last update (update clock)."
    )
    actions = serializers.ListField(child=serializers.ChoiceField(EscalationAction.choices))


class EscalationRuleSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    policy_id = serializers.IntegerField(read_only=True, allow_null=True)
    next_team_id = serializers.IntegerField(read_only=True, allow_null=True)
    priorities = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    levels = EscalationLevelSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationRule
        fields = [
            "id",
            "url",
            "name",
            "description",
            "position",
            "is_active",
            "clock",
            "priorities",
            "policy_id",
            "levels",
            "next_team_id",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, obj: EscalationRule) -> str:
        return _absolute(self.context, "api-escalation-rule-detail", pk=obj.pk)


class EscalationRuleInputSerializer(InputSerializer):
    """Levels are checked by the service (thresholds rising, known actions, a next-tier team
    for 'reassign'); what is wrong comes back as a 400 naming the level."""

    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    is_active = serializers.BooleanField(required=False)
    clock = serializers.ChoiceField(choices=EscalationClock.choices, required=False)
    priorities = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=4), required=False, max_length=4
    )
    policy_id = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True
    )
    next_team_id = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True
    )
    levels = serializers.ListField(
        child=serializers.DictField(),
        max_length=10,
        help_text=EscalationRule.levels.field.help_text,
    )


class EscalationRuleUpdateInputSerializer(EscalationRuleInputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    levels = serializers.ListField(child=serializers.DictField(), max_length=10, required=False)
