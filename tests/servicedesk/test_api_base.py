"""API base: error shape, schema, docs served without a CDN, deploy checks."""

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[2]


def test_anonymous_gets_401_with_code(db: Any) -> None:
    response = APIClient().get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.not_authenticated"
    assert response.json()["message"]


def test_unknown_object_is_404_with_code(api: Any, requester: Any) -> None:
    response = api(requester).get("/api/v1/teams/999999/")
    assert response.status_code == 404
    assert response.json() == {
        "code": "resource.not_found",
        "message": "No Team matches the given query.",
    }


def test_bad_filter_is_400_with_details(api: Any, requester: Any) -> None:
    response = api(requester).get("/api/v1/services/?tier=9")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "request.invalid"
    assert "tier" in body["details"]


def test_method_not_allowed_is_405_with_code(api: Any, requester: Any) -> None:
    response = api(requester).post("/api/v1/teams/", {})
    assert response.status_code == 405
    assert response.json()["code"] == "request.method_not_allowed"


def test_schema_renders_and_documents_endpoints(api: Any, requester: Any) -> None:
    response = api(requester).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/me/", "/api/v1/users/", "/api/v1/teams/", "/api/v1/services/"]:
        assert path in paths
    assert "401" in paths["/api/v1/me/"]["get"]["responses"]


def test_docs_use_local_static_files_not_a_cdn(client: Any, requester: Any) -> None:
    client.force_login(requester)
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={k: v for k, v in {**os.environ, **env}.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        HTTPS="true",
        ALLOWED_HOSTS="desk.example.com",
        SECRET_KEY="x7!Qp2#vN9$rT4&mK8*wZ1^bJ6@hL3(dF5)gS0_cY2+eU7=aR4",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_development_defaults() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="true")
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG on in deployment


def test_schema_generates_without_warnings(db: Any) -> None:
    """Enum name collisions and duplicate operation ids make generated clients unstable
    (``Kind8a5Enum``): the schema must generate with no warning at all."""
    import io

    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    call_command("spectacular", "--fail-on-warn", "--validate", stdout=out, stderr=err)
    assert "Warning" not in err.getvalue(), err.getvalue()
