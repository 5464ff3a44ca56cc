"""Read-only admin: bypass state changes only through the services, and the ledger, the
decisions and the uses are append-only."""

from typing import Any

from django.contrib import admin

from .models import BypassDecision, BypassEvent, BypassPolicy, BypassRequest, BypassUse, GateCounter


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(BypassRequest)
class BypassRequestAdmin(ReadOnly):
    list_display = ["id", "subject_ref", "state", "risk_class", "requester", "valid_until"]
    list_filter = ["state", "risk_class", "reason_category"]
    list_select_related = ["requester"]


@admin.register(BypassEvent)
class BypassEventAdmin(ReadOnly):
    list_display = ["seq", "type", "request", "actor_name", "created_at", "hash"]


@admin.register(BypassPolicy)
class BypassPolicyAdmin(ReadOnly):
    list_display = ["gate_id", "risk_class", "version", "is_active", "fallback_group"]


admin.site.register(BypassDecision, ReadOnly)
admin.site.register(BypassUse, ReadOnly)
admin.site.register(GateCounter, ReadOnly)
