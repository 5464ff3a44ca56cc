"""Signs in through a real Chromium and sees the home page."""

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_sign_in_and_see_home(live_server: Any, page: Any, analyst: Any, screenshot: Any) -> None:
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#id_username", "analyst")
    page.fill("#id_password", "pw-for-tests-1")
    screenshot("login")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "Good to see you, Analyst"
    assert "analyst" in page.inner_text("main")
    path = screenshot("home")
    assert path.stat().st_size > 1000


def test_pages_run_under_the_content_security_policy(
    live_server: Any, page: Any, analyst: Any, requester: Any
) -> None:
    """Nothing on the main pages (htmx included) trips the CSP: no inline script, style or
    eval, nothing from other sites."""
    from incidents.services import incident_create

    incident_create(actor=requester, title="Printer jams")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    for path in ("/queue/all/", "/incidents/new/", "/problems/", "/api/docs/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    assert violations == []
