"""Admin: the register and process debt are read-only (their state changes only through the
services, and the history is append-only); the debt policies (threshold and window) are
configuration an administrator may tune."""

from typing import Any

from django.contrib import admin

from .models import DebtPolicy, Improvement, ImprovementEvent, ProcessDebt


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Improvement)
class ImprovementAdmin(ReadOnly):
    list_display = ["id", "title", "status", "source", "owner", "owner_group", "votes_count"]
    list_filter = ["status", "source", "topic"]
    search_fields = ["title"]
    list_select_related = ["owner"]


@admin.register(ImprovementEvent)
class ImprovementEventAdmin(ReadOnly):
    list_display = ["id", "improvement", "type", "actor_name", "to_status", "created_at"]
    list_filter = ["type"]


@admin.register(ProcessDebt)
class ProcessDebtAdmin(ReadOnly):
    list_display = ["id", "gate_id", "dimension", "key_label", "request_count", "status"]
    list_filter = ["status", "dimension"]


@admin.register(DebtPolicy)
class DebtPolicyAdmin(admin.ModelAdmin):
    list_display = ["gate_id", "dimension", "threshold", "window_days", "is_active"]
    list_editable = ["threshold", "window_days", "is_active"]
