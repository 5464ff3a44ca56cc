"""Shared fixtures. Tests needing PostgreSQL, Redis, a worker or the browser skip locally when
those are absent, and fail in CI (CI=true) instead of skipping."""

import contextlib
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from org.choices import ROLE_GROUPS, Role

from .org.factories import TeamFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright tests share the thread

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-results"
CHROMIUM = "/usr/bin/chromium"


def require(condition: bool, what: str) -> None:
    """Skip when a real dependency is missing; in CI that is a failure, never a skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} not available here")


def tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def counted(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """``with counted(): ...`` — the block's gate evaluations as a reader sees them after the
    commit. With Redis they are counted at once; without it (the SQLite default) the count is an
    after-commit upsert, which a test's transaction never reaches: the block's after-commit
    work is run at its end."""

    @contextlib.contextmanager
    def block() -> Iterator[None]:
        if settings.REDIS_URL:
            yield
            return
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return block


@pytest.fixture
def require_postgres(db: Any) -> None:
    from django.db import connection

    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://…)")


@pytest.fixture
def require_redis_counts() -> None:
    """A refused transition rolls its transaction back: only Redis, counting outside it, sees
    the refusal (without Redis, gate counts are written after the commit)."""
    require(bool(settings.REDIS_URL), "Redis for the gate counters (REDIS_URL)")


@pytest.fixture
def require_redis_broker() -> None:
    require(settings.CELERY_BROKER_URL.startswith("redis"), "Redis broker (CELERY_BROKER_URL)")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _flush_passes_truncate_triggers() -> Any:
    """PostgreSQL's flush (between transactional tests) truncates every table, which the event
    tables' TRUNCATE triggers refuse. The test runner's flush alone skips triggers, inside its
    own transaction (``SET LOCAL``; the test role is a superuser)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else []

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings: Any) -> None:
    """Each test counts API requests from zero (the counters live in the shared cache)."""
    settings.RATELIMIT_KEY_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"


_SQLITE_TRIGGERS: list[tuple[str, str]] = []


@pytest.fixture(autouse=True)
def _append_only_triggers_survive_flush(request: pytest.FixtureRequest) -> Any:
    """SQLite's flush (between transactional tests) deletes rows, which the append-only
    triggers refuse. Drop them just before the flush and restore them before the next test.
    PostgreSQL's flush uses TRUNCATE, which row triggers do not see."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    uses_db = transactional or marker is not None or "db" in request.fixturenames
    if not uses_db:
        yield
        return
    from django.db import connection

    request.getfixturevalue("transactional_db" if transactional else "db")
    if transactional:
        # A flush also empties what data migrations seeded (the priority matrix, resolution
        # targets, categories): put it back, idempotently, from the migration's own function.
        import importlib

        from django.apps import apps as django_apps

        defaults = importlib.import_module("incidents.migrations.0002_append_only_and_defaults")
        defaults.seed_defaults(django_apps, None)
        importlib.import_module("changes.migrations.0002_append_only_and_defaults").seed_defaults(
            django_apps, None
        )
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        if not _SQLITE_TRIGGERS:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            _SQLITE_TRIGGERS.extend(cursor.fetchall())
        for _name, sql in _SQLITE_TRIGGERS:
            cursor.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))
    yield
    if transactional:
        with connection.cursor() as cursor:
            for name, _sql in _SQLITE_TRIGGERS:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


# --- Playwright with Debian's Chromium ----------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    require(Path(CHROMIUM).exists() or bool(shutil.which("chromium")), "Debian's chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def screenshot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Saves a full-page screenshot and checks the page with axe-core (WCAG 2.1 A/AA, zero
    violations allowed); the axe report is saved next to the screenshot as ``.axe.json``."""

    from playwright.sync_api import Error as PlaywrightError

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except PlaywrightError as error:
            # Chromium now and then refuses one capture on a loaded machine (seen once in a full
            # run beside another suite; the same test passed alone): one more try, not more.
            if "Unable to capture screenshot" not in str(error):
                raise
            page.wait_for_timeout(500)
            page.screenshot(path=str(path), full_page=True)
        check_accessibility(page, path.with_suffix(".axe.json"))
        return path

    return take


# --- Accessibility: axe-core (shipped by axe-playwright-python) ----------------------------
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Beyond the WCAG tags: one h1, headings in order, everything inside landmarks.
AXE_EXTRA_RULES = [
    "page-has-heading-one",
    "heading-order",
    "landmark-one-main",
    "landmark-unique",
    "region",
    "skip-link",
]


def check_accessibility(page: Any, report: Path) -> None:
    """Runs axe-core on the page as it is now, saves its JSON report and fails on any
    violation (the message lists each rule, element and fix)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "runOnly": {"type": "tag", "values": AXE_TAGS},
        "rules": {rule: {"enabled": True} for rule in AXE_EXTRA_RULES},
        "resultTypes": ["violations"],
    }
    results = Axe().run(page, options=options)
    results.save_to_file(report, violations_only=True)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
    missing = page.evaluate(MISSING_IDREFS)
    assert not missing, f"{page.url}: references to ids that are not in the page: {missing}"


# aria-describedby (a field's help and error), aria-labelledby, aria-controls and <label for>
# must name ids that are in the page, or a screen reader reads nothing.
MISSING_IDREFS = """() => {
  const missing = [];
  const attrs = ["aria-describedby", "aria-labelledby", "aria-controls", "for"];
  for (const el of document.querySelectorAll(attrs.map((a) => `[${a}]`).join(","))) {
    for (const attr of attrs) {
      if (attr === "for" && el.tagName !== "LABEL") continue;
      for (const id of (el.getAttribute(attr) || "").split(/\\s+/)) {
        if (id && !document.getElementById(id)) missing.push(`${el.tagName} ${attr}=#${id}`);
      }
    }
  }
  return missing;
}"""


# --- People in every role -----------------------------------------------------------------
@pytest.fixture
def requester(db: Any) -> Any:
    return UserFactory(username="requester")


@pytest.fixture
def other_requester(db: Any) -> Any:
    return UserFactory(username="other")


@pytest.fixture
def team(db: Any) -> Any:
    return TeamFactory(slug="desk", name="Desk")


@pytest.fixture
def other_team(db: Any) -> Any:
    return TeamFactory(slug="network", name="Network")


@pytest.fixture
def analyst(team: Any) -> Any:
    user = UserFactory(username="analyst")
    team.members.add(user)
    return user


@pytest.fixture
def other_analyst(other_team: Any) -> Any:
    user = UserFactory(username="otheranalyst")
    other_team.members.add(user)
    return user


@pytest.fixture
def manager(team: Any) -> Any:
    user = UserFactory(username="manager")
    team.lead = user
    team.save(update_fields=["lead"])
    return user


@pytest.fixture
def admin_user(db: Any) -> Any:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def in_group() -> Callable[[Any, Role], Any]:
    from django.contrib.auth.models import Group

    def add(user: Any, role: Role) -> Any:
        user.groups.add(Group.objects.get_or_create(name=ROLE_GROUPS[role])[0])
        for cached in ("roles", "team_ids", "led_team_ids"):
            user.__dict__.pop(cached, None)
        return user

    return add


@pytest.fixture
def api() -> Callable[[Any], APIClient]:
    def client_for(user: Any = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


# --- Every API response matches the published schema ---------------------------------------
@pytest.fixture(autouse=True)
def _api_responses_match_the_schema(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Strict by default: see ``tests/support/schema_check.py``."""
    if request.node.get_closest_marker("schema_unchecked"):
        return
    from django.test.client import Client

    from .support.schema_check import check_response

    original = Client.request

    def checked(self: Any, **environ: Any) -> Any:
        response = original(self, **environ)
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        check_response(method, path, response)
        return response

    monkeypatch.setattr(Client, "request", checked)


# --- A Redis of our own, to stop and start (never the shared one) --------------------------
class OwnRedis:
    """A redis-server on a free loopback port, for tests that take the broker away."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.process: Any = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import subprocess
        import time

        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",  # like the compose file: what the broker holds survives a restart
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not tcp_open("127.0.0.1", self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("own redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Any:
    """Our own Redis, with the Celery app's broker pointed at it for the test."""
    require(shutil.which("redis-server") is not None, "redis-server")
    from servicedesk.celery import app as celery_app

    redis = OwnRedis(tmp_path)
    redis.start()
    saved = {
        key: celery_app.conf.get(key)
        for key in ("broker_read_url", "broker_write_url", "broker_transport_options")
    }
    celery_app.conf.broker_read_url = redis.url
    celery_app.conf.broker_write_url = redis.url
    celery_app.conf.broker_transport_options = {
        "visibility_timeout": 3,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
    # Pooled connections point at the shared broker: set them aside for the test's own.
    pools = celery_app._pool, celery_app.amqp._producer_pool
    celery_app._pool = celery_app.amqp._producer_pool = None
    try:
        yield redis
    finally:
        redis.stop()
        for key, value in saved.items():
            celery_app.conf[key] = value
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool, celery_app.amqp._producer_pool = pools
