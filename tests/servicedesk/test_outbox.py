"""The transactional outbox: recorded with the change, relayed on commit or by the sweep,
backed off while the broker is away, failed work visible (admin, /healthz), done once."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone

from servicedesk import outbox
from servicedesk.celery import app as celery_app
from servicedesk.models import OutboxMessage, OutboxStatus, TaskRun
from servicedesk.tasks import outbox_relay_task

PING = "servicedesk.tasks.health_ping_task"


@pytest.fixture(autouse=True)
def _closed_breaker() -> Iterator[None]:
    outbox._breaker_until["at"] = 0.0
    yield
    outbox._breaker_until["at"] = 0.0


def queued(redis_url: str) -> int:
    with celery_app.connection_for_write(redis_url) as conn:
        return int(conn.default_channel.client.llen("default"))


def test_enqueue_records_once_per_key_and_relays_on_commit(
    db: Any, own_redis: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        first = outbox.enqueue(PING, args=["a"], key="ping:1")
        again = outbox.enqueue(PING, args=["b"], key="ping:1")
    assert again.pk == first.pk and len(callbacks) == 1
    first.refresh_from_db()
    assert (first.status, first.args, first.attempts) == (OutboxStatus.SENT, ["a"], 1)
    assert first.sent_at is not None
    assert queued(own_redis.url) == 1


def test_nothing_is_recorded_when_the_transaction_rolls_back(db: Any) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(PING, key="ping:rolled-back")
        raise RuntimeError("the service failed")
    assert not OutboxMessage.objects.exists()


def test_a_key_is_required(db: Any) -> None:
    with pytest.raises(ValueError, match="An outbox key is required"):
        outbox.enqueue(PING, key="")


def test_broker_down_backs_off_opens_the_breaker_and_the_sweep_catches_up(
    db: Any, own_redis: Any, django_capture_on_commit_callbacks: Any
) -> None:
    own_redis.stop()
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue(PING, key="ping:outage")
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    assert message.available_at > timezone.now()
    assert "Connection refused" in message.last_error
    # The breaker is open: the next commit does not even try the broker.
    with django_capture_on_commit_callbacks(execute=True):
        second = outbox.enqueue(PING, key="ping:outage-2")
    second.refresh_from_db()
    assert second.attempts == 0
    own_redis.start()
    assert outbox_relay_task.apply().get() == 1  # only the one that is due
    with time_machine.travel(timezone.now() + timedelta(seconds=10)):
        assert outbox_relay_task.apply().get() == 1
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert queued(own_redis.url) == 2


def test_backoff_doubles_and_is_capped(db: Any, own_redis: Any, settings: Any) -> None:
    settings.OUTBOX_MAX_BACKOFF_SECONDS = 30
    own_redis.stop()
    message = outbox.enqueue(PING, key="ping:backoff", delay=timedelta(0))
    delays = []
    for _ in range(6):
        now = timezone.now()
        with time_machine.travel(message.available_at + timedelta(seconds=1), tick=False):
            outbox.relay()
            now = timezone.now()
        message.refresh_from_db()
        delays.append(round((message.available_at - now).total_seconds()))
    assert delays == [2, 4, 8, 16, 30, 30]
    assert message.attempts == 6 and message.status == OutboxStatus.PENDING


def test_a_message_that_cannot_be_published_fails_shows_on_healthz_and_can_be_retried(
    db: Any, own_redis: Any, admin_user: Any
) -> None:
    broken = OutboxMessage.objects.create(key="ping:broken", task=PING, kwargs=["not a mapping"])
    assert outbox.relay() == 0
    broken.refresh_from_db()
    assert broken.status == OutboxStatus.FAILED
    assert broken.last_error.startswith("TypeError") or broken.last_error.startswith("ValueError")
    body = Client().get("/healthz").json()
    assert body["checks"]["outbox"]["ok"] is False
    assert body["outbox"]["failed"] == 1
    assert body["checks"]["outbox"]["detail"].startswith("0 pending, 0 stuck, 1 failed;")
    assert body["status"] == "degraded"

    client = Client()
    client.force_login(admin_user)
    page = client.get("/admin/servicedesk/outboxmessage/?status=failed")
    assert page.status_code == 200 and "ping:broken" in page.content.decode()
    assert client.get(f"/admin/servicedesk/outboxmessage/{broken.pk}/change/").status_code == 200
    response = client.post(
        "/admin/servicedesk/outboxmessage/",
        {"action": "retry_now", "_selected_action": [broken.pk]},
        follow=True,
    )
    assert "1 message(s) put back in line." in response.content.decode()
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == (OutboxStatus.PENDING, 1)
    assert outbox.relay() == 0  # still unpublishable: it fails again, visibly
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == (OutboxStatus.FAILED, 2)


def test_healthz_counts_stuck_messages_and_the_oldest_age(db: Any, own_redis: Any) -> None:
    own_redis.stop()
    outbox.enqueue(PING, key="ping:stuck")
    with time_machine.travel(timezone.now() + timedelta(minutes=7), tick=False):
        body = Client().get("/healthz").json()
    assert body["outbox"] == {
        "pending": 1,
        "stuck": 1,
        "failed": 0,
        "oldest_age_seconds": 420,
    }
    assert body["checks"]["outbox"]["ok"] is False


def test_sent_messages_are_pruned_after_the_keep_period(db: Any, settings: Any) -> None:
    old = OutboxMessage.objects.create(
        key="old", task=PING, status=OutboxStatus.SENT, sent_at=timezone.now() - timedelta(days=8)
    )
    recent = OutboxMessage.objects.create(
        key="recent", task=PING, status=OutboxStatus.SENT, sent_at=timezone.now()
    )
    assert outbox.prune_sent(older_than=settings.OUTBOX_KEEP_SENT) == 1
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk not in OutboxMessage.objects.values_list("pk", flat=True)


def test_once_does_the_work_once_and_forgets_failed_work(db: Any) -> None:
    runs = []
    for _ in range(2):
        with outbox.once("work:1") as first:
            if first:
                runs.append(1)
    assert runs == [1]
    with pytest.raises(OSError), outbox.once("work:2") as first:
        assert first
        raise OSError("mail server away")
    assert not TaskRun.objects.filter(key="work:2").exists()  # a retry will do it
    with outbox.once("work:2") as first:
        assert first


def test_the_sweep_is_on_the_beat_schedule() -> None:
    entry = celery_app.conf.beat_schedule["outbox-relay"]
    assert entry["task"] == "servicedesk.tasks.outbox_relay_task"
    assert entry["schedule"] <= timedelta(seconds=10)


def test_no_bare_delay_left_in_the_code() -> None:
    """Work reaches Celery only through the outbox (tests may call tasks directly)."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for path in root.glob("*/**/*.py")
        if not path.is_relative_to(root / "tests")
        and ".venv" not in path.parts
        and re.search(r"\.(delay|apply_async)\(|\bsend_task\(", path.read_text())
        and path != root / "servicedesk" / "outbox.py"
    ]
    assert offenders == []


def test_the_compose_broker_keeps_its_queues_across_a_restart(db: Any, own_redis: Any) -> None:
    import pathlib

    import yaml

    compose = yaml.safe_load(
        (pathlib.Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    )
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "redisdata:/data" in redis["volumes"] and "redisdata" in compose["volumes"]
    # The same settings on our own Redis: a queued message survives a restart.
    outbox.enqueue(PING, key="ping:survives")
    assert outbox.relay() == 1
    own_redis.stop()
    own_redis.start()
    assert queued(own_redis.url) == 1


def test_every_task_finishes_well_inside_the_visibility_timeout(settings: Any) -> None:
    """A message is redelivered after the visibility timeout: no task (with its retry pause)
    may still be running then, or it would run twice at once."""
    import importlib

    for module in ("incidents.tasks", "servicedesk.tasks", "webhooks.tasks"):
        importlib.import_module(module)
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 300)
    ours = {
        name: task
        for name, task in celery_app.tasks.items()
        if name.split(".")[0] in {"incidents", "servicedesk", "webhooks"}
    }
    assert len(ours) >= 7
    for name, task in ours.items():
        limit = task.time_limit or celery_app.conf.task_time_limit
        pause = getattr(task, "retry_backoff_max", 0) if getattr(task, "autoretry_for", ()) else 0
        assert limit + pause < visibility, name
        assert task.soft_time_limit or celery_app.conf.task_soft_time_limit, name
    idempotent = {
        "incidents.tasks.incident_notify_task",
        "incidents.tasks.incident_autoclose_task",
        "servicedesk.tasks.outbox_relay_task",
        "webhooks.tasks.webhook_deliver_task",
        "webhooks.tasks.webhook_disabled_notify_task",
    }
    assert {name for name, task in ours.items() if task.acks_late} >= idempotent
    assert celery_app.conf.worker_prefetch_multiplier == 1
    assert celery_app.conf.task_reject_on_worker_lost is True


def test_the_web_process_warms_the_relay_up() -> None:
    import servicedesk.wsgi  # noqa: F401 (runs the warm-up like gunicorn does)

    assert celery_app.finalized
    assert "webhooks.tasks.webhook_deliver_task" in celery_app.tasks
    assert "incidents.tasks.incident_notify_task" in celery_app.tasks
