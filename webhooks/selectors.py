"""Reads, scoped by user: an owner sees their own webhooks; an admin sees everyone's."""

from django.db.models import Prefetch, QuerySet

from org.models import User
from servicedesk.errors import NotFound

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def webhook_list(*, user: User) -> QuerySet[WebhookSubscription]:
    subscriptions = WebhookSubscription.objects.select_related("owner").order_by(
        "-created_at", "-id"
    )
    return subscriptions if user.is_superuser else subscriptions.filter(owner=user)


def webhook_get(*, user: User, pk: object) -> WebhookSubscription:
    try:
        return webhook_list(user=user).get(pk=int(str(pk)))
    except (ValueError, WebhookSubscription.DoesNotExist):
        raise NotFound("No such webhook.") from None


def webhook_deliveries(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first, each with its attempts (one extra query per page)."""
    return (
        WebhookDelivery.objects.filter(subscription=subscription)
        .order_by("-created_at", "-id")
        .prefetch_related(
            Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number"))
        )
    )
