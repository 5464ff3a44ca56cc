"""Admin: the process configuration is editable here; incidents, problems and their events are
read-only (they change only through services, so that every change has its event)."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from servicedesk.durations import DurationWordsField

from .models import (
    CannedReply,
    Category,
    Incident,
    IncidentEvent,
    PriorityRule,
    Problem,
    ProblemEvent,
    ResolutionTarget,
)


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
