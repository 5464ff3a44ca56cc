"""Webhook API shapes. The secret appears in exactly one response: the one that creates it."""

from rest_framework import serializers

from servicedesk.api import InputSerializer
from webhooks.choices import EVENT_TYPES, DeliveryStatus
from webhooks.models import NAME_MAX, URL_MAX, WebhookAttempt, WebhookDelivery, WebhookSubscription

EVENT_TYPE_CHOICES = sorted(EVENT_TYPES)


class WebhookInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=NAME_MAX)
    url = serializers.URLField(max_length=URL_MAX)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES), min_length=1
    )


class WebhookUpdateInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=NAME_MAX, required=False)
    url = serializers.URLField(max_length=URL_MAX, required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES), min_length=1, required=False
    )
    is_active = serializers.BooleanField(
        required=False, help_text="Enable again (clears the failure count) or disable."
    )


class WebhookSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "owner",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="Signs every delivery (HMAC-SHA256). Shown in this response only: store it.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "status_code", "error", "duration_ms", "created_at"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True, help_text="Sent as Webhook-Id.")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "finished_at",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields
