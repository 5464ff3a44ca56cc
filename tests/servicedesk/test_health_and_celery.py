"""/healthz and a real Celery round trip (a real worker; Redis in CI)."""

from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import Client

from servicedesk.celery import app as celery_app
from servicedesk.models import WorkerHeartbeat
from servicedesk.tasks import health_ping_task, worker_heartbeat_task
from tests.conftest import IN_CI


@pytest.fixture
def worker(transactional_db: Any) -> Any:
    if IN_CI:
        assert celery_app.conf.broker_url.startswith("redis"), "CI must use the Redis broker"
    from django.db import connections

    # The worker thread opens its own connection: with CONN_MAX_AGE 0 Celery's Django fixup
    # closes it after each task, so the test database can be dropped at the end.
    db_settings = connections["default"].settings_dict
    max_age = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=10,
        queues=["default"],
    ) as w:
        yield w
    db_settings["CONN_MAX_AGE"] = max_age


def test_health_round_trip_through_a_real_worker(worker: Any) -> None:
    result = health_ping_task.delay("hello").get(timeout=20)
    assert result["value"] == "hello"
    assert result["worker"]  # a real worker's hostname answered


def test_heartbeat_task_via_worker_turns_healthz_green(worker: Any) -> None:
    client = Client()
    assert client.get("/healthz").json()["checks"]["worker"]["ok"] is False
    hostname = worker_heartbeat_task.delay().get(timeout=20)
    assert WorkerHeartbeat.objects.filter(hostname=hostname).exists()
    # Idempotent: running it again keeps one row for the worker.
    worker_heartbeat_task.delay().get(timeout=20)
    assert WorkerHeartbeat.objects.filter(hostname=hostname).count() == 1
    body = client.get("/healthz").json()
    assert body["status"] == "ok", body
    assert body["checks"]["worker"]["detail"].startswith(hostname)


def test_healthz_reports_database_and_broker(db: Any, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True, body
    assert body["status"] == "degraded"  # no worker heartbeat in this test
    if IN_CI:
        assert body["checks"]["database"]["detail"] == "postgresql"


def test_healthz_is_503_when_the_broker_is_unreachable(db: Any, client: Client) -> None:
    original = celery_app.conf.broker_write_url
    celery_app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_write_url = original
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_tasks_are_routed_to_their_queues() -> None:
    router = celery_app.amqp.router
    assert router.route({}, "incidents.tasks.incident_route_task")["queue"].name == "routing"
    assert router.route({}, "incidents.tasks.incident_escalate_task")["queue"].name == "escalation"
    assert router.route({}, "bypass.tasks.bypass_notify_task")["queue"].name == "notifications"
    assert router.route({}, "metrics.tasks.rollup_refresh_task")["queue"].name == "metrics"
    assert router.route({}, "servicedesk.tasks.health_ping_task")["queue"].name == "default"
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.accept_content == ["json"]
