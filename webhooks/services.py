"""The only writers of webhook state: subscriptions (owner's actions), deliveries fanned out from
events in the event's own transaction, and each attempt's outcome."""

import itertools
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from org.models import User
from org.roles import is_staff_side
from servicedesk import concurrency, outbox
from servicedesk.errors import NotFound, PermissionDenied, ValidationFailed

from . import sending, signing
from .choices import EVENT_TYPES, TEST_EVENT, DeliveryStatus
from .models import NAME_MAX, URL_MAX, WebhookAttempt, WebhookDelivery, WebhookSubscription

SUBSCRIBERS_ONLY = "Only analysts, managers and admins can subscribe to webhooks."


# --- validation (shared by the API and the pages) -------------------------------------------
def clean_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed("Give the webhook a name.", details={"name": ["required"]})
    if len(value) > NAME_MAX:
        raise ValidationFailed(
            f"The name is longer than {NAME_MAX} characters.", details={"name": ["too long"]}
        )
    return value


def clean_url(value: str) -> str:
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(
            "The URL must be an http:// or https:// address.", details={"url": ["invalid"]}
        )
    if parts.username or parts.password:
        raise ValidationFailed(
            "Put no credentials in the URL: deliveries are signed instead.",
            details={"url": ["credentials"]},
        )
    if len(value) > URL_MAX:
        raise ValidationFailed(
            f"The URL is longer than {URL_MAX} characters.", details={"url": ["too long"]}
        )
    return value


def clean_event_types(values: Any) -> list[str]:
    if not isinstance(values, list | tuple) or not values:
        raise ValidationFailed(
            "Choose at least one event type.", details={"event_types": ["required"]}
        )
    unknown = sorted({str(v) for v in values} - set(EVENT_TYPES))
    if unknown:
        raise ValidationFailed(
            f"Unknown event types: {', '.join(unknown)}.", details={"event_types": unknown}
        )
    return sorted(set(values))


def _may_manage(actor: User, subscription: WebhookSubscription) -> None:
    if subscription.owner_id != actor.pk and not actor.is_superuser:
        raise NotFound("No such webhook.")


# --- the owner's actions --------------------------------------------------------------------
def webhook_create(
    *, actor: User, name: str, url: str, event_types: list[str]
) -> tuple[WebhookSubscription, str]:
    """Subscribe. Returns the subscription and its signing secret (shown this once)."""
    if not is_staff_side(actor):
        raise PermissionDenied(SUBSCRIBERS_ONLY)
    secret = signing.new_secret()
    subscription = WebhookSubscription.objects.create(
        owner=actor,
        name=clean_name(name),
        url=clean_url(url),
        event_types=clean_event_types(event_types),
        secret=secret,
    )
    return subscription, secret


def webhook_update(
    *,
    subscription: WebhookSubscription,
    actor: User,
    name: str | None = None,
    url: str | None = None,
    event_types: list[str] | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change what may change. Enabling again clears the failure count."""
    _may_manage(actor, subscription)
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        concurrency.check_locked(locked)  # If-Match: refuse a stale version under the lock
        fields = ["updated_at"]
        if name is not None:
            locked.name = clean_name(name)
            fields.append("name")
        if url is not None:
            locked.url = clean_url(url)
            fields.append("url")
        if event_types is not None:
            locked.event_types = clean_event_types(event_types)
            fields.append("event_types")
        if is_active is not None and is_active != locked.is_active:
            if is_active and not is_staff_side(locked.owner):
                raise PermissionDenied(SUBSCRIBERS_ONLY)
            locked.is_active = is_active
            locked.consecutive_failures = 0
            locked.disabled_at = None if is_active else timezone.now()
            locked.disabled_reason = "" if is_active else f"Disabled by {actor.name}."
            fields += ["is_active", "consecutive_failures", "disabled_at", "disabled_reason"]
        locked.save(update_fields=fields)
    return locked


def webhook_delete(*, subscription: WebhookSubscription, actor: User) -> None:
    _may_manage(actor, subscription)
    subscription.delete()


def webhook_send_test(*, subscription: WebhookSubscription, actor: User) -> WebhookDelivery:
    """A ``webhook.test`` delivery, tried once (also on a disabled subscription, to check the
    receiver before enabling it again); it does not count towards disabling."""
    _may_manage(actor, subscription)
    key, now = uuid.uuid4(), timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            uuid=key,
            subscription=subscription,
            event_type=TEST_EVENT,
            event_key=f"test:{key}",
            created_at=now,
            payload={
                "type": TEST_EVENT,
                "id": str(key),
                "created_at": now.isoformat(),
                "data": {"subscription_id": subscription.pk, "requested_by": actor.name},
            },
        )
        _enqueue(delivery, attempt=1)
    return delivery


# --- fan-out from events (called by the event services, inside their transaction) ------------
def webhook_publish(
    *, event_type: str, event_key: str, data: dict[str, Any], occurred_at: Any, internal: bool
) -> list[WebhookDelivery]:
    """One delivery per active subscription to ``event_type``, recorded with the event; each
    reaches the broker through the outbox. One query when nobody subscribes."""
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(is_active=True).only("pk", "event_types")
        if event_type in s.event_types
    ]
    deliveries = []
    for subscription in subscriptions:
        key = uuid.uuid4()
        delivery = WebhookDelivery.objects.create(
            uuid=key,
            subscription=subscription,
            event_type=event_type,
            event_key=event_key,
            is_internal=internal,
            payload={
                "type": event_type,
                "id": str(key),
                "created_at": occurred_at.isoformat(),
                "data": data,
            },
        )
        _enqueue(delivery, attempt=1)
        deliveries.append(delivery)
    return deliveries


def webhook_publish_many(events: Iterable[dict[str, Any]]) -> list[WebhookDelivery]:
    """``webhook_publish(**event)`` for each event, set-wise: one query when nobody subscribes,
    else one insert of the deliveries and their outbox entries. Given a generator, the events
    past the first are built only when somebody subscribes."""
    pending = iter(events)
    first = next(pending, None)
    if first is None:
        return []
    subscriptions = list(
        WebhookSubscription.objects.filter(is_active=True).only("pk", "event_types")
    )
    if not subscriptions:
        return []
    deliveries = []
    for event in itertools.chain([first], pending):
        for subscription in subscriptions:
            if event["event_type"] not in subscription.event_types:
                continue
            key = uuid.uuid4()
            deliveries.append(
                WebhookDelivery(
                    uuid=key,
                    subscription=subscription,
                    event_type=event["event_type"],
                    event_key=event["event_key"],
                    is_internal=event["internal"],
                    payload={
                        "type": event["event_type"],
                        "id": str(key),
                        "created_at": event["occurred_at"].isoformat(),
                        "data": event["data"],
                    },
                )
            )
    if not deliveries:
        return []
    WebhookDelivery.objects.bulk_create(deliveries)
    from .tasks import webhook_deliver_task

    now = [d for d in deliveries if d.next_attempt_at is None]
    later = [d for d in deliveries if d.next_attempt_at is not None]
    outbox.enqueue_many(webhook_deliver_task, [(f"webhook-deliver:{d.pk}:1", [d.pk]) for d in now])
    for delivery in later:
        _enqueue(delivery, attempt=1)
    return deliveries


def _enqueue(delivery: WebhookDelivery, *, attempt: int) -> None:
    from .tasks import webhook_deliver_task

    outbox.enqueue(
        webhook_deliver_task,
        args=[delivery.pk],
        key=f"webhook-deliver:{delivery.pk}:{attempt}",
        at=delivery.next_attempt_at,
    )


def _backoff(attempt: int) -> timedelta:
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


# --- delivery (the task's one service) -------------------------------------------------------
def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Make the next attempt of a pending, due delivery and log it. The row stays locked while
    the POST is under way, so a redelivered task skips it; a worker killed mid-POST rolls the
    attempt back and the redelivered task makes it again (same ``Webhook-Id``)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription__owner")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return None  # done already, being done, or not due: nothing to do
        subscription = delivery.subscription
        is_test = delivery.event_type == TEST_EVENT
        refusal = _refusal(delivery)
        if refusal:
            delivery.status = DeliveryStatus.SKIPPED
            delivery.last_error = refusal
            delivery.finished_at = now
            delivery.save(update_fields=["status", "last_error", "finished_at"])
            return delivery
        outcome = sending.post(
            url=subscription.url,
            secret=subscription.secret,
            delivery_id=str(delivery.uuid),
            payload=delivery.payload,
        )
        delivery.attempts += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.finished_at = timezone.now()
            delivery.next_attempt_at = None
        elif is_test or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.finished_at = timezone.now()
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = timezone.now() + _backoff(delivery.attempts)
            _enqueue(delivery, attempt=delivery.attempts + 1)
        delivery.save(
            update_fields=[
                "attempts",
                "last_status_code",
                "last_error",
                "status",
                "finished_at",
                "next_attempt_at",
            ]
        )
        if not is_test:
            _count(subscription, ok=outcome.ok)
    return delivery


def _refusal(delivery: WebhookDelivery) -> str:
    subscription = delivery.subscription
    if delivery.event_type != TEST_EVENT and not subscription.is_active:
        return "The subscription is disabled."
    if not subscription.owner.is_active or not is_staff_side(subscription.owner):
        # Payloads carry what staff see (internal notes included): a person who is no longer
        # staff receives nothing, and the subscription stops.
        _disable(subscription, "Its owner may no longer receive incident events.")
        return "The owner may no longer receive incident events."
    return ""


def _count(subscription: WebhookSubscription, *, ok: bool) -> None:
    if ok:
        WebhookSubscription.objects.filter(pk=subscription.pk).exclude(
            consecutive_failures=0
        ).update(consecutive_failures=0)
        return
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = (
        WebhookSubscription.objects.filter(pk=subscription.pk)
        .values_list("consecutive_failures", flat=True)
        .first()
    )
    if failures is not None and failures >= settings.WEBHOOK_DISABLE_AFTER:
        _disable(subscription, f"{failures} deliveries in a row failed.")


def _disable(subscription: WebhookSubscription, reason: str) -> None:
    """Disable once (the update matches only an active row) and tell the owner by e-mail."""
    now = timezone.now()
    changed = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason, updated_at=now
    )
    if changed:
        from .tasks import webhook_disabled_notify_task

        outbox.enqueue(
            webhook_disabled_notify_task,
            args=[subscription.pk],
            key=f"webhook-disabled:{subscription.pk}:{now.isoformat()}",
        )


def webhook_deliveries_prune(*, older_than: timedelta, batch: int = 1000) -> int:
    """Forget finished deliveries (and their attempts) past the keep period, a batch at a time."""
    cutoff = timezone.now() - older_than
    ids = list(
        WebhookDelivery.objects.exclude(status=DeliveryStatus.PENDING)
        .filter(finished_at__lt=cutoff)
        .values_list("pk", flat=True)[:batch]
    )
    WebhookAttempt.objects.filter(delivery_id__in=ids).delete()
    deleted, _ = WebhookDelivery.objects.filter(pk__in=ids).delete()
    return deleted
