"""Admin for the kernel, read-only: Idempotency-Keys, so an operator can see what is stored and
spot a key stuck "in progress" (a web process that died mid-request; deleting one lets its
client retry), and the outbox, with a "retry now" action for stuck or failed messages (the only
write, done by ``servicedesk.outbox.outbox_retry``)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from . import outbox
from .models import IdempotencyKey, OutboxMessage, OutboxStatus


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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["key", "task", "status", "attempts", "age", "available_at", "sent_at"]
    list_filter = ["status", "task"]
    search_fields = ["key", "task"]
    readonly_fields = [
        "key",
        "task",
        "args",
        "kwargs",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "available_at",
        "sent_at",
        "task_id",
    ]
    actions = ["retry_now"]
    date_hierarchy = "created_at"

    @admin.display(description="age")
    def age(self, obj: OutboxMessage) -> str:
        end = obj.sent_at or timezone.now()
        return f"{int((end - obj.created_at).total_seconds())}s"

    @admin.action(description="Retry the selected messages now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        retried = 0
        for message in queryset.exclude(status=OutboxStatus.SENT):
            outbox.outbox_retry(message=message)
            retried += 1
        self.message_user(request, f"{retried} message(s) put back in line.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
