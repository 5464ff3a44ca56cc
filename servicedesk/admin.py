"""Admin: Idempotency-Keys, read-only, so an operator can see what is stored and spot a key
stuck "in progress" (a web process that died mid-request). Deleting one lets its client retry."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "method", "path", "state", "response_status", "created_at"]
    list_filter = ["state", "method"]
    search_fields = ["key", "path", "user__username"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
