"""Bad input never breaks the server; nobody can flood it; security headers; /healthz detail;
the refusal to start without SECRET_KEY. Each test is one finding of the hardening review."""

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from rest_framework.test import APIClient

from org.services import api_token_create
from servicedesk.parsers import BoundedJSONParser, RequestTooLarge
from servicedesk.throttling import hit, parse_rate

ROOT = Path(__file__).resolve().parents[2]


def _token_client(user: Any, **extra: Any) -> tuple[APIClient, str]:
    _token, plaintext = api_token_create(user=user, name="script")
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION=f"Token {plaintext}")
    return client, plaintext


# --- no server errors from bad input -------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/login/", "/queue/"])
def test_unknown_host_is_a_plain_400(db: Any, path: str) -> None:
    response = Client(raise_request_exception=False).get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"Bad request: this server does not answer for that host name."


def test_unknown_host_under_the_api_is_a_json_400(db: Any) -> None:
    response = Client(raise_request_exception=False).get(
        "/api/v1/incidents/", HTTP_HOST="evil.example"
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "request.unknown_host",
        "message": "This server does not answer for that host name.",
    }


def test_non_ascii_authorization_header_is_a_401_not_a_500(db: Any) -> None:
    client = Client(raise_request_exception=False)
    header = b"Token \xff\xfe\xfd".decode("latin-1")  # what WSGI makes of raw non-UTF-8 bytes
    response = client.get("/api/v1/incidents/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == {
        "code": "auth.authentication_failed",
        "message": "The Authorization header must be ASCII: Token <your token>.",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/account/tokens/ab%00cd/revoke/",
        "/api/v1/incidents/1%00/",
        "/api/v1/incidents/?q=a%00b",
        "/incidents/1/?x=%00",
    ],
)
def test_nul_byte_in_the_address_is_a_400(requester: Any, path: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(requester)
    response = client.post(path) if "revoke" in path else client.get(path)
    assert response.status_code == 400
    assert b"The address contains a NUL byte." in response.content


def test_deeply_nested_json_is_a_400(requester: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(requester)
    for depth in (33, 100_000):
        body = "[" * depth + "]" * depth
        response = client.post("/api/v1/incidents/", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {
            "code": "request.malformed",
            "message": "The JSON is nested more than 32 levels deep.",
        }


def test_json_nested_within_the_limit_is_parsed() -> None:
    body = ("[" * 32 + "]" * 32).encode()
    assert BoundedJSONParser().parse(io.BytesIO(body)) is not None


# --- request body size ---------------------------------------------------------------------
def test_a_body_over_the_limit_is_a_413_before_any_view(requester: Any, settings: Any) -> None:
    settings.REQUEST_MAX_BYTES = 1000
    client = Client(raise_request_exception=False)
    client.force_login(requester)
    body = json.dumps({"title": "x" * 2000})
    response = client.post("/api/v1/incidents/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "code": "request.too_large",
        "message": f"The request body is {len(body):,} bytes; the limit is 1,000 bytes.",
    }


def test_uploads_may_be_as_large_as_an_attachment(settings: Any) -> None:
    from servicedesk.middleware import request_body_limit

    settings.REQUEST_MAX_BYTES = 1000
    settings.ATTACHMENT_MAX_BYTES = 5000
    assert request_body_limit("multipart/form-data; boundary=x") == 6000
    assert request_body_limit("application/json") == 1000


def test_parser_bounds_a_body_sent_without_content_length(settings: Any) -> None:
    settings.REQUEST_MAX_BYTES = 100
    with pytest.raises(RequestTooLarge):
        BoundedJSONParser().parse(io.BytesIO(b'{"a": "' + b"x" * 200 + b'"}'))


# --- rate limits ---------------------------------------------------------------------------
@pytest.fixture
def mid_window() -> Iterator[None]:
    """The limits count in fixed one-minute windows: a test whose requests crossed the end of a
    minute saw its count start again (once, on SQLite: 200 where 429 was due). Time stands
    still in the middle of the current minute."""
    import time

    import time_machine

    with time_machine.travel((time.time() // 60) * 60 + 30, tick=False):
        yield


def test_rate_limit_per_token_answers_429_with_retry_after(
    requester: Any, other_requester: Any, settings: Any, mid_window: None
) -> None:
    settings.API_RATE_PER_TOKEN = "3/minute"
    client, _ = _token_client(requester)
    seen = []
    for _ in range(3):
        response = client.get("/api/v1/me/")
        assert response.status_code == 200
        seen.append(response["RateLimit-Remaining"])
        assert response["RateLimit-Limit"] == "3"
        assert 1 <= int(response["RateLimit-Reset"]) <= 60
    assert seen == ["2", "1", "0"]
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit-Remaining"] == "0"
    assert refused.json()["code"] == "request.throttled"
    assert refused.json()["message"].startswith("Request was throttled.")
    # Another person's token has its own budget.
    other, _ = _token_client(other_requester)
    assert other.get("/api/v1/me/").status_code == 200


def test_rate_limit_per_address_covers_every_token_from_it(
    requester: Any, other_requester: Any, settings: Any, mid_window: None
) -> None:
    settings.API_RATE_PER_IP = "4/minute"
    first, _ = _token_client(requester, REMOTE_ADDR="203.0.113.7")
    second, _ = _token_client(other_requester, REMOTE_ADDR="203.0.113.7")
    elsewhere, _ = _token_client(other_requester, REMOTE_ADDR="198.51.100.1")
    assert [first.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
    assert [second.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
    assert second.get("/api/v1/me/").status_code == 429
    assert first.get("/api/v1/me/").status_code == 429
    assert elsewhere.get("/api/v1/me/").status_code == 200


def test_signed_in_sessions_are_limited_per_person(
    requester: Any, settings: Any, mid_window: None
) -> None:
    settings.API_RATE_PER_TOKEN = "2/minute"
    client = Client()
    client.force_login(requester)
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]


def test_counts_are_shared_through_the_cache_across_processes(settings: Any) -> None:
    """Two web processes share the counters: they live in the cache (Redis with REDIS_URL, a
    file cache otherwise), never in process memory."""
    backend = settings.CACHES[settings.RATELIMIT_CACHE]["BACKEND"]
    assert backend.rsplit(".", 1)[-1] in {"RedisCache", "FileBasedCache"}
    first = hit("token", "abc", "5/minute", now=1000.0)
    caches.close_all()  # as if another process asked
    second = hit("token", "abc", "5/minute", now=1001.0)
    assert (first.remaining, second.remaining) == (4, 3)
    assert second.reset == 19  # the window 960..1020 ends 19 s after 1001
    assert hit("token", "abc", "5/minute", now=1020.0).remaining == 4  # a new window


def test_rate_parsing() -> None:
    assert parse_rate("600/minute") == (600, 60)
    assert parse_rate("10/s") == (10, 1)
    with pytest.raises(ValueError, match="Not a rate: '10 per minute'"):
        parse_rate("10 per minute")


# --- security headers ----------------------------------------------------------------------
def test_pages_and_api_carry_csp_referrer_and_permissions_policy(
    client: Client, requester: Any
) -> None:
    client.force_login(requester)
    for path in ("/", "/login/", "/api/v1/me/", "/healthz"):
        response = client.get(path)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self';" in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert response["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_api_docs_load_their_script_from_a_file(client: Client, requester: Any) -> None:
    client.force_login(requester)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"<script>" not in response.content  # the Swagger UI set-up is a separate script
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
    assert "script-src 'self';" in response["Content-Security-Policy"]


# --- /healthz ------------------------------------------------------------------------------
def test_healthz_shows_remote_anonymous_callers_only_the_status(db: Any) -> None:
    for client in (
        Client(REMOTE_ADDR="203.0.113.9"),
        Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"),  # via a proxy
    ):
        response = client.get("/healthz")
        assert set(response.json()) == {"status"}
        assert response.json()["status"] in {"ok", "degraded"}


def test_healthz_details_for_the_local_host_and_admins(db: Any, admin_user: Any) -> None:
    assert "checks" in Client(REMOTE_ADDR="127.0.0.1").get("/healthz").json()
    assert "checks" in Client(REMOTE_ADDR="::1").get("/healthz").json()
    admin = Client(REMOTE_ADDR="203.0.113.9")
    admin.force_login(admin_user)
    assert set(admin.get("/healthz").json()["checks"]) == {"database", "broker", "worker", "outbox"}


def test_healthz_hides_a_failing_services_error_from_remote_callers(
    db: Any, monkeypatch: Any, requester: Any
) -> None:
    from servicedesk import health

    def broken() -> Any:
        raise OSError("connect to redis.internal:6379 refused")

    monkeypatch.setattr(health, "_broker", broken)
    remote = Client(REMOTE_ADDR="203.0.113.9")
    remote.force_login(requester)  # signed in but not an admin
    response = remote.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down"}
    local = Client(REMOTE_ADDR="127.0.0.1").get("/healthz").json()
    assert local["checks"]["broker"]["detail"] == "OSError: connect to redis.internal:6379 refused"


# --- SECRET_KEY ----------------------------------------------------------------------------
def _start(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "servicedesk.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off() -> None:
    refused = _start({"DEBUG": "false"})
    assert refused.returncode != 0
    assert "SECRET_KEY is not set, and DEBUG is off: refusing to start." in refused.stderr
    assert _start({"DEBUG": "false", "SECRET_KEY": "x" * 50}).returncode == 0
    assert _start({"DEBUG": "true"}).returncode == 0  # local development
