"""Admin: the process configuration is editable here; incidents, problems and their events are
read-only (they change only through services, so that every change has its event)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from servicedesk.durations import DurationWordsField

from .escalation import parse_levels
from .models import (
    CannedReply,
    Category,
    Escalation,
    EscalationRule,
    Incident,
    IncidentEvent,
    IncidentSla,
    PriorityRule,
    Problem,
    ProblemEvent,
    ResolutionTarget,
    RoutingRule,
    SlaPause,
    SlaPolicy,
)
from .services.sla import sla_recheck_open


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):
    """Read here; edited as the impact x urgency grid at /priority-matrix/ (linked above the
    list), so the matrix is always changed whole and stays complete."""

    list_display = ["impact", "urgency", "priority"]
    list_filter = ["impact", "urgency"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the matrix must stay complete


@admin.register(ResolutionTarget)
class ResolutionTargetAdmin(admin.ModelAdmin):
    """Targets read and are typed as words: "4 hours", "3 days", "1 day 4 hours"."""

    list_display = ["priority", "resolve_within"]
    list_editable = ["resolve_within"]
    formfield_overrides = {models.DurationField: {"form_class": DurationWordsField}}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    fields = ("created_at", "type", "actor_name", "from_status", "to_status", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "priority", "team", "assignee", "requester", "created_at"]
    list_filter = ["status", "priority", "team", "channel", "is_major"]
    list_select_related = ["team", "assignee", "requester"]
    search_fields = ["title", "description"]
    date_hierarchy = "created_at"
    inlines = [IncidentEventInline]


@admin.register(IncidentEvent)
class IncidentEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "incident", "type", "actor_name", "from_status", "to_status"]
    list_filter = ["type"]
    list_select_related = ["incident"]


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "owner_team", "created_at"]
    list_filter = ["status"]
    list_select_related = ["owner_team"]


@admin.register(ProblemEvent)
class ProblemEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "problem", "type", "actor_name"]
    list_select_related = ["problem"]


@admin.register(CannedReply)
class CannedReplyAdmin(ReadOnlyAdmin):
    """Read-only: written on the Canned replies page or through the API (the services check
    who may write for which team)."""

    list_display = ["title", "team", "is_active", "created_by", "updated_at"]
    list_filter = ["team", "is_active"]
    list_select_related = ["team", "created_by"]
    search_fields = ["title", "body"]


class RoutingRuleAdminForm(forms.ModelForm):
    """Validated like the API and the pages: the service's ``clean_rule`` (shape, patterns,
    ids), so a bad pattern is an error on the form, never a broken rule."""

    class Meta:
        model = RoutingRule
        fields = [
            "name",
            "description",
            "position",
            "is_enabled",
            "stop_on_match",
            "conditions",
            "actions",
        ]

    def clean(self) -> dict[str, Any]:
        from servicedesk.errors import DomainError

        from .services.routing import clean_rule

        data = super().clean() or {}
        try:
            checked = clean_rule(
                name=data.get("name") or "",
                conditions=data.get("conditions"),
                actions=data.get("actions"),
                stop_on_match=bool(data.get("stop_on_match")),
                description=data.get("description") or "",
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        data["conditions"], data["actions"] = checked.conditions, checked.actions
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """Written through ``incidents.services.routing`` (the form validates with it)."""

    form = RoutingRuleAdminForm
    list_display = ["position", "name", "is_enabled", "stop_on_match", "updated_at"]
    list_display_links = ["name"]
    list_editable = ["is_enabled"]
    ordering = ["position", "id"]
    search_fields = ["name", "description"]

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        from .services.routing import routing_rule_create, routing_rule_update

        fields = {
            name: form.cleaned_data[name] for name in form.Meta.fields if name in form.cleaned_data
        }
        if change:
            routing_rule_update(rule=obj.pk, actor=request.user, **fields)
        else:
            obj.pk = routing_rule_create(actor=request.user, **fields).pk

    def delete_model(self, request: Any, obj: Any) -> None:
        from .services.routing import routing_rule_delete

        routing_rule_delete(rule=obj, actor=request.user)


# --- SLA policies and escalation rules (configuration) ---------------------------------------
class SlaConfigAdmin(admin.ModelAdmin):
    """Every save or delete has the sweep look at open incidents again, as the API does."""

    formfield_overrides = {models.DurationField: {"form_class": DurationWordsField}}

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        sla_recheck_open()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        sla_recheck_open()


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SlaConfigAdmin):
    list_display = [
        "name",
        "position",
        "is_active",
        "priorities",
        "channels",
        "response_target",
        "resolution_target",
        "calendar",
    ]
    list_filter = ["is_active", "calendar"]
    list_select_related = ["calendar"]
    filter_horizontal = ["services", "categories"]


class EscalationRuleForm(forms.ModelForm):
    class Meta:
        model = EscalationRule
        fields = [
            "name",
            "description",
            "position",
            "is_active",
            "clock",
            "priorities",
            "policy",
            "levels",
            "next_team",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            parse_levels(
                data.get("levels"),
                clock=data.get("clock") or "resolution",
                next_team=data.get("next_team") is not None,
            )
        except ValueError as exc:
            self.add_error("levels", str(exc))
        return data


@admin.register(EscalationRule)
class EscalationRuleAdmin(SlaConfigAdmin):
    form = EscalationRuleForm
    list_display = ["name", "position", "is_active", "clock", "policy", "next_team"]
    list_filter = ["is_active", "clock"]
    list_select_related = ["policy", "next_team"]


@admin.register(IncidentSla)
class IncidentSlaAdmin(ReadOnlyAdmin):
    list_display = [
        "incident",
        "policy_name",
        "response_due_at",
        "resolution_due_at",
        "paused_since",
        "response_breached_at",
        "resolution_breached_at",
        "next_check_at",
    ]
    list_select_related = ["incident"]


@admin.register(SlaPause)
class SlaPauseAdmin(ReadOnlyAdmin):
    list_display = ["incident", "reason", "waiting_on", "started_at", "ended_at"]
    list_filter = ["reason"]
    list_select_related = ["incident"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["incident", "rule", "level", "due_at", "applied_at"]
    list_filter = ["rule"]
    list_select_related = ["incident", "rule"]
