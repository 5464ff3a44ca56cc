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
