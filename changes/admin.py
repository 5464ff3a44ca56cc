"""Admin: everything here is read-only. Changes move only through services (so every step has
its event); templates, authorities, the matrix and freezes are edited on the process owner's
pages, where a template needs the process owner's approval."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from incidents.admin import ReadOnlyAdmin

from .models import (
    AuthorityRule,
    Change,
    ChangeAuthority,
    ChangeDecision,
    ChangeEvent,
    ChangeTemplate,
    FreezeWindow,
)


class ChangeEventInline(admin.TabularInline):
    model = ChangeEvent
    fields = ("created_at", "type", "actor_name", "from_status", "to_status", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "type", "status", "risk_class", "planned_start", "requester"]
    list_filter = ["status", "type", "category", "risk_class", "outcome"]
    list_select_related = ["requester"]
    search_fields = ["title", "description"]
    date_hierarchy = "created_at"
    inlines = [ChangeEventInline]


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "change", "type", "actor_name", "from_status", "to_status"]
    list_filter = ["type"]
    list_select_related = ["change"]


@admin.register(ChangeDecision)
class ChangeDecisionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "change", "authority", "approver_name", "verdict", "revision"]
    list_filter = ["verdict", "authority"]
    list_select_related = ["change", "authority"]


@admin.register(ChangeTemplate)
class ChangeTemplateAdmin(ReadOnlyAdmin):
    list_display = ["title", "status", "category", "max_duration", "owner"]
    list_filter = ["status", "category"]


@admin.register(ChangeAuthority)
class ChangeAuthorityAdmin(ReadOnlyAdmin):
    list_display = ["name", "rule", "required", "is_emergency", "is_active"]


@admin.register(AuthorityRule)
class AuthorityRuleAdmin(ReadOnlyAdmin):
    list_display = ["category", "risk_class", "position", "authority"]
    list_filter = ["category", "risk_class"]


@admin.register(FreezeWindow)
class FreezeWindowAdmin(ReadOnlyAdmin):
    list_display = ["name", "starts_at", "ends_at", "is_active"]
