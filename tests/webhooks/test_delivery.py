"""Deliveries: fanned out from events through the outbox, signed, retried with backoff, logged
with response codes, and a subscription disabled after repeated failures (with a notice)."""

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from incidents import services as incident_services
from servicedesk import outbox
from servicedesk.celery import app as celery_app
from servicedesk.models import OutboxMessage
from tests.conftest import require
from tests.incidents.factories import incident_in, make_incident
from tests.org.factories import UserFactory
from webhooks import services, signing
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.tasks import webhook_deliver_task, webhook_disabled_notify_task


def subscribe(owner: Any, url: str, *events: str) -> tuple[WebhookSubscription, str]:
    return services.webhook_create(
        actor=owner, name="Chat bridge", url=url, event_types=list(events) or ["incident.assigned"]
    )


def _readme_verifier() -> Any:
    """The receiver shown in the README's API section, executed as written."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("Verifying a webhook signature", 1)[1].split("```python", 1)[1]
    namespace: dict[str, Any] = {}
    exec(block.split("```", 1)[0], namespace)  # noqa: S102 (our own README)
    return namespace["verified"]


def readme_verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    return bool(_readme_verifier()(secret, headers, body))


def test_a_subscribed_event_reaches_the_receiver_signed(
    api: Any, requester: Any, analyst: Any, team: Any, receiver: Any
) -> None:
    subscription, secret = subscribe(analyst, receiver.url, "incident.assigned")
    incident = make_incident(requester)
    response = api(analyst).post(
        f"/api/v1/incidents/{incident.pk}/assign/",
        {"team_id": team.pk, "assignee_id": analyst.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.event_type == "incident.assigned" and delivery.status == "pending"
    # Recorded in the outbox, in the same transaction as the assignment.
    assert OutboxMessage.objects.filter(
        key=f"webhook-deliver:{delivery.pk}:1", task="webhooks.tasks.webhook_deliver_task"
    ).exists()

    assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "succeeded"
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert headers["Content-Type"] == "application/json"
    assert headers["Webhook-Id"] == str(delivery.uuid)
    assert readme_verify(secret, headers, body)
    assert signing.verify(
        secret,
        timestamp=headers["Webhook-Timestamp"],
        signature=headers["Webhook-Signature"],
        body=body,
        now=time.time(),
    )
    assert not readme_verify("whsec_wrong", headers, body)
    assert not readme_verify(secret, headers, body.replace(b"assigned", b"resolved"))
    payload = json.loads(body)
    assert payload["type"] == "incident.assigned" and payload["id"] == str(delivery.uuid)
    incident.refresh_from_db()
    assert payload["data"]["incident"]["ref"] == incident.ref
    assert payload["data"]["incident"]["status"] == "assigned"
    assert payload["data"]["event"]["actor"] == analyst.name
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    # Redelivery of the same task does nothing.
    assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "nothing to do"
    assert len(receiver.received) == 1


def test_events_nobody_subscribed_to_create_no_deliveries(
    requester: Any, analyst: Any, team: Any, receiver: Any
) -> None:
    subscribe(analyst, receiver.url, "incident.resolved")
    incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    assert not WebhookDelivery.objects.exists()


def test_a_failed_delivery_is_retried_with_backoff_and_logged(
    requester: Any, analyst: Any, team: Any, receiver: Any, settings: Any
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    subscription, secret = subscribe(analyst, receiver.url, "incident.created")
    make_incident(requester)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    receiver.codes = [503, 500]
    assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "pending"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (1, 503)
    assert delivery.last_error == "HTTP 503 Service Unavailable"
    assert delivery.next_attempt_at is not None
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 28 <= wait <= 30
    retry = OutboxMessage.objects.get(key=f"webhook-deliver:{delivery.pk}:2")
    assert retry.available_at == delivery.next_attempt_at  # the sweep publishes it when due
    assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "nothing to do"  # not due

    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "pending"
    delivery.refresh_from_db()
    second_wait = delivery.next_attempt_at - retry.available_at
    assert timedelta(seconds=58) <= second_wait <= timedelta(seconds=62)  # doubled

    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "succeeded"
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and delivery.next_attempt_at is None
    assert [a.status_code for a in delivery.attempt_log.all()] == [503, 500, 200]
    ids = {headers["Webhook-Id"] for headers, _ in receiver.received}
    assert ids == {str(delivery.uuid)} and len(receiver.received) == 3
    assert all(readme_verify(secret, h, b) for h, b in receiver.received)
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0 and subscription.is_active


def test_a_delivery_gives_up_after_the_last_attempt(
    requester: Any, analyst: Any, receiver: Any, settings: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    subscription, _ = subscribe(analyst, receiver.url, "incident.created")
    make_incident(requester)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    receiver.codes = [500, 500]
    webhook_deliver_task.apply(args=[delivery.pk])
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "failed"
    assert not OutboxMessage.objects.filter(key=f"webhook-deliver:{delivery.pk}:3").exists()


def test_timeouts_and_refused_connections_are_logged(
    requester: Any, analyst: Any, receiver: Any, settings: Any
) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.0
    subscription, _ = subscribe(analyst, receiver.url, "incident.created")
    make_incident(requester)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    webhook_deliver_task.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert "timed out" in delivery.last_error
    services.webhook_update(
        subscription=subscription, actor=analyst, url="http://127.0.0.1:1/closed"
    )
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        webhook_deliver_task.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert "Connection refused" in delivery.last_error
    assert delivery.attempt_log.count() == 2


def test_repeated_failures_disable_the_subscription_and_tell_the_owner(
    requester: Any, analyst: Any, receiver: Any, settings: Any
) -> None:
    settings.WEBHOOK_DISABLE_AFTER = 3
    subscription, _ = subscribe(analyst, receiver.url, "incident.created")
    receiver.codes = [500] * 10
    for n in range(3):
        make_incident(requester, title=f"Broken {n}")
    for delivery in WebhookDelivery.objects.order_by("pk"):
        webhook_deliver_task.apply(args=[delivery.pk])
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert subscription.disabled_reason == "3 deliveries in a row failed."
    notice = OutboxMessage.objects.get(key__startswith=f"webhook-disabled:{subscription.pk}:")
    assert webhook_disabled_notify_task.apply(args=notice.args).get() == 1
    assert webhook_disabled_notify_task.apply(args=notice.args).get() == 0  # once
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Webhook “Chat bridge” was disabled"
    assert mail.outbox[0].to == [analyst.email]
    assert "3 deliveries in a row failed." in mail.outbox[0].body
    # Disabled: new events are not delivered, pending retries are skipped.
    make_incident(requester, title="After")
    assert WebhookDelivery.objects.count() == 3
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        webhook_deliver_task.apply(args=[WebhookDelivery.objects.order_by("pk").first().pk])
    skipped = WebhookDelivery.objects.order_by("pk").first()
    assert skipped.status == "skipped" and skipped.last_error == "The subscription is disabled."
    assert len(receiver.received) == 3
    # Enabling again clears the count.
    enabled = services.webhook_update(subscription=subscription, actor=analyst, is_active=True)
    assert (enabled.is_active, enabled.consecutive_failures, enabled.disabled_reason) == (
        True,
        0,
        "",
    )


def test_a_test_event_is_tried_once_and_does_not_count_towards_disabling(
    analyst: Any, receiver: Any, settings: Any
) -> None:
    settings.WEBHOOK_DISABLE_AFTER = 1
    subscription, secret = subscribe(analyst, receiver.url)
    receiver.codes = [500]
    delivery = services.webhook_send_test(subscription=subscription, actor=analyst)
    assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "failed"
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 0
    delivery = services.webhook_send_test(subscription=subscription, actor=analyst)
    assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "succeeded"
    headers, body = receiver.received[-1]
    assert json.loads(body)["type"] == "webhook.test" and readme_verify(secret, headers, body)


def test_internal_notes_reach_only_staff_and_a_former_analyst_gets_nothing(
    requester: Any, analyst: Any, team: Any, receiver: Any
) -> None:
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    leaver = UserFactory(username="leaver")
    team.members.add(leaver)
    staying, _ = subscribe(analyst, receiver.url, "incident.noted")
    leaving, _ = subscribe(leaver, receiver.url, "incident.noted")
    team.members.remove(leaver)  # no longer staff: may not read internal notes any more
    incident_services.incident_comment(
        incident=incident, actor=analyst, body="Vendor contract is lapsing", internal=True
    )
    kept = WebhookDelivery.objects.get(subscription=staying)
    gone = WebhookDelivery.objects.get(subscription=leaving)
    assert kept.is_internal and gone.is_internal
    assert webhook_deliver_task.apply(args=[kept.pk]).get() == "succeeded"
    assert webhook_deliver_task.apply(args=[gone.pk]).get() == "skipped"
    assert len(receiver.received) == 1
    assert json.loads(receiver.received[0][1])["data"]["event"]["internal"] is True
    leaving.refresh_from_db()
    assert leaving.is_active is False
    assert leaving.disabled_reason == "Its owner may no longer receive incident events."


def test_imported_history_is_not_published(requester: Any, analyst: Any, receiver: Any) -> None:
    from servicedesk import clock

    subscribe(analyst, receiver.url, "incident.created")
    with clock.at(timezone.now() - timedelta(days=30)):
        make_incident(requester)
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_end_to_end_through_the_outbox_and_a_real_worker(
    own_redis: Any, api: Any, requester: Any, analyst: Any, team: Any, receiver: Any
) -> None:
    # SQLite's shared in-memory test database locks whole tables across threads: a worker
    # thread racing the request's relay fails there. PostgreSQL is what this is about.
    require(connection.vendor == "postgresql", "PostgreSQL (a worker thread shares the database)")
    outbox._breaker_until["at"] = 0.0
    subscription, secret = subscribe(analyst, receiver.url, "incident.started")
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    db_settings = connections["default"].settings_dict
    max_age = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0  # the worker thread closes its connection after each task
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=10,
        queues=["default", "notifications"],
    ):
        response = api(analyst).post(f"/api/v1/incidents/{incident.pk}/start/", format="json")
        assert response.status_code == 200
        deadline = time.monotonic() + 20
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
    db_settings["CONN_MAX_AGE"] = max_age
    assert len(receiver.received) == 1, list(OutboxMessage.objects.values())
    headers, body = receiver.received[0]
    assert readme_verify(secret, headers, body)
    assert json.loads(body)["type"] == "incident.started"
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == "succeeded"


def test_finished_deliveries_are_pruned_after_the_keep_period(
    analyst: Any, receiver: Any, settings: Any
) -> None:
    from webhooks.tasks import webhook_prune_task

    subscription, _ = subscribe(analyst, receiver.url)
    old = services.webhook_send_test(subscription=subscription, actor=analyst)
    webhook_deliver_task.apply(args=[old.pk])
    waiting = services.webhook_send_test(subscription=subscription, actor=analyst)
    later = timezone.now() + timedelta(days=settings.WEBHOOK_KEEP_DAYS, hours=1)
    with time_machine.travel(later):
        fresh = services.webhook_send_test(subscription=subscription, actor=analyst)
        webhook_deliver_task.apply(args=[fresh.pk])
        assert webhook_prune_task.apply().get() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {waiting.pk, fresh.pk}
    assert celery_app.conf.beat_schedule["webhook-prune"]["task"] == webhook_prune_task.name


def test_an_edit_reaches_subscribers_of_incident_edited(
    api: Any, requester: Any, analyst: Any, team: Any, receiver: Any
) -> None:
    subscription, _ = subscribe(analyst, receiver.url, "incident.edited")
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    response = api(analyst).patch(
        f"/api/v1/incidents/{incident.pk}/", {"title": "Printer on floor 3 jams"}, format="json"
    )
    assert response.status_code == 200, response.content
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "succeeded"
    payload = json.loads(receiver.received[0][1])
    assert payload["data"]["incident"]["title"] == "Printer on floor 3 jams"
