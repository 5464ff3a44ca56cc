"""Two web requests with the same Idempotency-Key at the same moment, on PostgreSQL (each
thread has its own connection, as two web processes would): the work is done once; the
duplicate is told the first is in progress, and a retry afterwards gets the first response."""

import threading
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Incident


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_is_409_and_the_work_is_done_once(
    require_postgres: Any, requester: Any, monkeypatch: Any
) -> None:
    started, release = threading.Event(), threading.Event()
    real_create = services.incident_create

    def slow_create(**kwargs: Any) -> Any:
        started.set()
        assert release.wait(timeout=20)
        return real_create(**kwargs)

    monkeypatch.setattr(services, "incident_create", slow_create)
    body = {"title": "Disk full on db-7"}
    answers: dict[str, Any] = {}

    def first() -> None:
        try:
            client = APIClient()
            client.force_authenticate(requester)
            answers["first"] = client.post(
                "/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY="dup-1"
            )
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(timeout=20)
    client = APIClient()
    client.force_authenticate(requester)
    duplicate = client.post("/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY="dup-1")
    release.set()
    thread.join(timeout=30)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "idempotency.in_progress"
    assert answers["first"].status_code == 201
    retry = client.post("/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY="dup-1")
    assert retry.status_code == 201 and retry.json() == answers["first"].json()
    assert Incident.objects.count() == 1
