"""Thin tasks: a delivery attempt, and the notice that a subscription was disabled."""

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage

from servicedesk import outbox

from . import services
from .models import WebhookSubscription


@shared_task(time_limit=60, soft_time_limit=50, acks_late=True)
def webhook_deliver_task(delivery_id: int) -> str:
    """One attempt of one delivery (retries are recorded in the outbox with a delay, not as
    Celery countdowns). Idempotent: a delivery that is done, locked or not due is left alone."""
    delivery = services.webhook_deliver(delivery_id=delivery_id)
    return delivery.status if delivery else "nothing to do"


@shared_task(**outbox.DELIVERY_TASK)
def webhook_disabled_notify_task(self: Any, subscription_id: int) -> int:
    """Tell the owner their webhook was disabled and why (once per disabling)."""
    subscription = (
        WebhookSubscription.objects.select_related("owner").filter(pk=subscription_id).first()
    )
    if subscription is None or subscription.is_active or not subscription.owner.email:
        return 0
    stamp = subscription.disabled_at.isoformat() if subscription.disabled_at else ""
    with outbox.once(f"webhook-disabled-notice:{subscription.pk}:{stamp}") as first:
        if not first:
            return 0
        EmailMessage(
            subject=f"Webhook “{subscription.name}” was disabled",
            body="\n".join(
                [
                    f"Your webhook “{subscription.name}” ({subscription.url}) was disabled: "
                    f"{subscription.disabled_reason}",
                    "",
                    "No further events are sent to it. Check the receiver, send a test event, "
                    "then enable it again:",
                    f"{settings.SITE_URL}/webhooks/{subscription.pk}/",
                ]
            ),
            to=[subscription.owner.email],
        ).send(fail_silently=False)
        return 1


@shared_task(time_limit=120, soft_time_limit=100, acks_late=True)
def webhook_prune_task() -> int:
    """Daily (beat): drop finished deliveries older than WEBHOOK_KEEP_DAYS. Idempotent."""
    from datetime import timedelta

    return services.webhook_deliveries_prune(older_than=timedelta(days=settings.WEBHOOK_KEEP_DAYS))
