"""Admin: subscriptions are managed through the services (the secret is never shown again);
deliveries and attempts are a read-only log."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from org.roles import is_staff_side
from servicedesk.errors import DomainError

from . import services
from .choices import EVENT_TYPES
from .models import URL_MAX, WebhookAttempt, WebhookDelivery, WebhookSubscription


class WebhookAdminForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=URL_MAX, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[(key, key) for key in EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["owner", "name", "url", "event_types"]

    def clean(self) -> dict[str, Any]:
        """The service's rules, shown as form errors instead of an error page."""
        data = super().clean() or {}
        owner = data.get("owner")
        if owner is not None and not is_staff_side(owner):
            self.add_error("owner", services.SUBSCRIBERS_ONLY)
        if data.get("url"):
            try:
                services.clean_url(data["url"])
            except DomainError as exc:
                self.add_error("url", exc.message)
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookAdminForm
    list_display = ["name", "owner", "url", "is_active", "consecutive_failures", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url", "owner__username"]
    readonly_fields = ["is_active", "consecutive_failures", "disabled_at", "disabled_reason"]
    actions = ["send_test", "enable", "disable"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.webhook_update(
                subscription=obj,
                actor=request.user,  # type: ignore[arg-type]
                name=data["name"],
                url=data["url"],
                event_types=data["event_types"],
            )
            return
        created, secret = services.webhook_create(
            actor=data["owner"], name=data["name"], url=data["url"], event_types=data["event_types"]
        )
        obj.pk = created.pk
        self.message_user(
            request,
            f"Signing secret for “{created.name}” (shown once, give it to the owner): {secret}",
            messages.WARNING,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.webhook_delete(subscription=obj, actor=request.user)  # type: ignore[arg-type]

    @admin.action(description="Send a test event")
    def send_test(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            services.webhook_send_test(subscription=subscription, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, "Test events queued.")

    @admin.action(description="Enable (clears the failure count)")
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            services.webhook_update(subscription=subscription, actor=request.user, is_active=True)  # type: ignore[arg-type]

    @admin.action(description="Disable")
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            services.webhook_update(subscription=subscription, actor=request.user, is_active=False)  # type: ignore[arg-type]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "status_code", "error", "duration_ms", "created_at"]
    readonly_fields = ["number", "status_code", "error", "duration_ms", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["uuid", "subscription", "event_type", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event_type"]
    list_select_related = ["subscription"]
    inlines = [WebhookAttemptInline]
    readonly_fields = [
        "uuid",
        "subscription",
        "event_type",
        "event_key",
        "payload",
        "is_internal",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "finished_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
