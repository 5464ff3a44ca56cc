"""Nothing is lost, nothing is done twice: the broker taken away under every notifying write,
and a worker killed with SIGKILL mid-task. A Redis of our own (the ``own_redis`` fixture) is
stopped and started; the shared one is never touched. Real PostgreSQL in CI."""

import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from servicedesk import outbox
from servicedesk.celery import app as celery_app
from servicedesk.models import OutboxMessage, OutboxStatus, TaskRun
from tests.conftest import IN_CI, require
from tests.incidents.factories import incident_in, make_incident, make_problem


def _setup_work_done() -> list[str]:
    """The set-up's own work is done: its outbox rows count as sent and its notifications as
    delivered (receipts and assignments notify since the notifications app), so a message of
    it still in the broker does nothing. Returns the set-up's keys."""
    OutboxMessage.objects.update(status=OutboxStatus.SENT)
    keys = list(OutboxMessage.objects.values_list("key", flat=True))
    for key in keys:
        if key.startswith("incident-notify:"):
            outbox.record_run(key)
    return keys


ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _closed_breaker() -> Iterator[None]:
    outbox._breaker_until["at"] = 0.0
    yield
    outbox._breaker_until["at"] = 0.0


@pytest.fixture
def in_process_worker() -> Iterator[Callable[..., Any]]:
    """An in-process worker on the ``notifications`` queue (the test database is visible).
    Its thread closes its database connection after each task (CONN_MAX_AGE 0), so the test
    database can be dropped at the end."""
    db_settings = connections["default"].settings_dict
    max_age = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0

    def start() -> Any:
        return start_worker(
            celery_app,
            pool="solo",
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=10,
            queues=["notifications", "default"],
        )

    yield start
    db_settings["CONN_MAX_AGE"] = max_age


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        time.sleep(0.1)


def test_every_notifying_write_answers_fast_with_the_broker_down_and_mails_once_later(
    own_redis: Any,
    api: Any,
    requester: Any,
    analyst: Any,
    team: Any,
    in_process_worker: Callable[..., Any],
) -> None:
    if IN_CI:
        assert connection.vendor == "postgresql"
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    other = make_incident(requester, title="Scanner offline")
    problem = make_problem(analyst)
    services.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[other.pk])
    setup_keys = _setup_work_done()
    mail.outbox.clear()

    own_redis.stop()
    desk, person = api(analyst), api(requester)
    base = f"/api/v1/incidents/{incident.pk}"
    writes = [
        (desk, f"{base}/comments/", {"body": "Looking at it now"}, 201),
        (desk, f"{base}/start/", {}, 200),
        (desk, f"{base}/pend/", {"reason": "vendor", "note": "Part on order"}, 200),
        (
            desk,
            f"{base}/resolve/",
            {"resolution_code": "fixed", "resolution_notes": "New part"},
            200,
        ),
        (person, f"{base}/reopen/", {"reason": "Still jams"}, 200),
        (desk, f"{base}/cancel/", {"reason": "Printer retired"}, 200),
        (
            desk,
            f"/api/v1/problems/{problem.pk}/publish-workaround/",
            {"workaround": "Print from tray 2"},
            200,
        ),
    ]
    for client, url, body, expected in writes:
        started = time.perf_counter()
        response = client.post(url, body, format="json")
        elapsed = time.perf_counter() - started
        assert response.status_code == expected, (url, response.content)
        assert response["Content-Type"] == "application/json"
        assert elapsed < 2.0, f"{url} took {elapsed:.2f}s with the broker down"

    pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
    assert pending.count() == 7
    assert all(m.attempts <= 1 for m in pending)  # one quick try on commit, then the breaker
    health = Client().get("/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["broker"]["ok"] is False
    assert health.json()["outbox"]["pending"] == 7
    assert mail.outbox == []

    own_redis.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=True):
        assert outbox.relay() == 7  # the beat sweep, once the backoff has passed
        assert outbox.relay() == 0
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists()
    with in_process_worker():
        wait_for(lambda: len(mail.outbox) >= 7)
        # A message published twice (a relay that died before marking it sent) is harmless.
        again = (
            OutboxMessage.objects.exclude(key__in=setup_keys)
            .filter(task="incidents.tasks.incident_notify_task")
            .first()
        )
        assert again is not None
        assert celery_app.send_task(again.task, args=again.args).get(timeout=20) == 0
    ref = Incident.objects.get(pk=incident.pk).ref
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == sorted(
        [
            f"New reply on {ref}",
            f"{ref} is being worked on",
            f"{ref} is on hold",
            f"{ref} is resolved: please confirm and rate",
            f"{requester.name} reopened {ref}",  # to the assignee; the requester did it
            f"{ref} was cancelled",
            f"A workaround for {Incident.objects.get(pk=other.pk).ref}",
        ]
    )
    done = TaskRun.objects.filter(key__startswith="incident-notify:").exclude(key__in=setup_keys)
    assert done.count() == 7


# --- A worker killed mid-task ------------------------------------------------------------
class SMTPReceiver(socketserver.ThreadingTCPServer):
    """A tiny SMTP server on loopback. ``hold_next`` makes it keep the next message
    unacknowledged (no ``250`` after the data), as a slow mail server would: the sending task
    is then mid-task. A message is delivered only once acknowledged (RFC 5321)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.accepted: list[str] = []
        self.hold_next = threading.Event()
        self.holding = threading.Event()


class _SMTPHandler(socketserver.StreamRequestHandler):
    server: SMTPReceiver

    def handle(self) -> None:
        def say(line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        say("220 receiver ESMTP")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                say("250 receiver")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                say("250 OK")
            elif command == "DATA":
                say("354 go ahead")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data.append(chunk)
                if self.server.hold_next.is_set():
                    self.server.hold_next.clear()
                    self.server.holding.set()
                    while self.rfile.readline():  # until the sender goes away
                        pass
                    return
                self.server.accepted.append(b"".join(data).decode(errors="replace"))
                say("250 queued")
            elif command == "QUIT":
                say("221 bye")
                return
            else:
                say("502 not implemented")


def _worker_process(redis_url: str, smtp_port: int, var_dir: Path) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_RESTORE_INTERVAL": "1",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SERVICEDESK_VAR_DIR": str(var_dir),
        "CONN_MAX_AGE": "0",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "servicedesk",
            "worker",
            "--pool=solo",
            "--queues=notifications",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_mid_task_leaves_the_work_to_be_finished_exactly_once(
    own_redis: Any,
    requester: Any,
    analyst: Any,
    team: Any,
    tmp_path: Path,
    in_process_worker: Callable[..., Any],
) -> None:
    require(connection.vendor == "postgresql", "PostgreSQL (a worker process shares the database)")
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    setup_keys = _setup_work_done()
    mail.outbox.clear()
    receiver = SMTPReceiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    receiver.hold_next.set()
    worker = None
    try:
        services.incident_comment(incident=incident, actor=analyst, body="On my way")
        message = OutboxMessage.objects.exclude(key__in=setup_keys).get(
            key__startswith="incident-notify:"
        )
        assert message.status == OutboxStatus.SENT  # relayed on commit to our Redis
        worker = _worker_process(own_redis.url, receiver.server_address[1], tmp_path)
        assert receiver.holding.wait(40), "the worker never reached the mail server"
        os.kill(worker.pid, signal.SIGKILL)  # mid-send: the mail server has not acknowledged
        worker.wait(10)
        assert receiver.accepted == []  # never acknowledged, so never delivered
        assert not TaskRun.objects.filter(key=message.key).exists()
        # The message was never acknowledged: after the visibility timeout (3 s here) Redis
        # hands it to the next worker (in-process, so its mail lands in mail.outbox).
        with in_process_worker():
            wait_for(lambda: len(mail.outbox) == 1, timeout=30)
            time.sleep(4)  # past the visibility timeout again: nothing comes a second time
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject.startswith("New reply on INC-")
        assert "On my way" in mail.outbox[0].body
        assert receiver.accepted == []
        assert TaskRun.objects.filter(key=message.key).count() == 1
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait(10)
        receiver.shutdown()
        receiver.server_close()
