"""A manager reads the metrics in a real Chromium: opens the dashboard from the menu, filters
to one service, sees the figures with their numbers, downloads a table as CSV, and opens the
exceptions and fairness view."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ..metrics.builders import incident, rating
from ..org.factories import BusinessServiceFactory, TeamFactory

pytestmark = pytest.mark.browser


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


@pytest.fixture
def desk(db: Any, requester: Any, manager: Any, team: Any) -> dict[str, Any]:
    payroll = BusinessServiceFactory(slug="payroll", name="Payroll", owner_team=team)
    vpn = BusinessServiceFactory(slug="vpn", name="VPN", owner_team=TeamFactory(slug="net"))
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for days, hours, service in [(3, 2, payroll), (4, 6, payroll), (5, 30, payroll), (3, 1, vpn)]:
        created = now - timedelta(days=days)
        row = incident(
            requester,
            created=created.strftime("%Y-%m-%d %H:%M"),
            resolved=(created + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M"),
            service=service,
            team=team,
        )
        rating(row, 4, (created + timedelta(hours=hours + 1)).strftime("%Y-%m-%d %H:%M"), "ok")
    return {"payroll": payroll, "vpn": vpn}


def test_manager_filters_the_dashboard_and_downloads_a_csv(
    live_server: Any, page: Any, desk: dict[str, Any], screenshot: Any
) -> None:
    sign_in(page, live_server, "manager")
    page.click("nav >> text=Metrics")
    expect(page.locator("h1")).to_have_text("Customer outcomes")
    page.select_option("#id_service_id", label="Payroll")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#id_service_id option:checked")).to_have_text("Payroll")
    restore = page.locator("section[aria-labelledby=t-restore]")
    # Payroll: 2, 6 and 30 hours → median 6 h, over 3 cases (fewer than 5: marked)
    expect(restore.locator("tbody tr").first).to_contain_text("Wall-clock")
    expect(restore.locator("tbody tr").first).to_contain_text("6.0")
    expect(restore.locator("tbody tr").first).to_contain_text("too few cases")
    expect(page.locator("figure.chart img").first).to_be_visible()
    screenshot("outcomes-payroll")
    with page.expect_download() as download_info:
        restore.get_by_role("link", name="Download “Time to restore service” as CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("restore-")
    body = Path(download.path()).read_text(encoding="utf-8")
    assert "Wall-clock,6.0,25.2,3,too few cases" in body  # p90: 6 + 0.8 x 24 = 25.2
    page.click(".tabs >> text=Change outcomes")
    expect(page.locator("h1")).to_have_text("Change outcomes")
    screenshot("changes")
    page.click(".tabs >> text=Exceptions and fairness")
    expect(page.locator("h1")).to_have_text("Exceptions and fairness")
    fairness = page.locator("section[aria-labelledby=t-fairness]")
    expect(fairness.locator("tbody tr").first).to_contain_text("Staff")
    screenshot("exceptions-and-fairness")
    page.goto(f"{live_server.url}/metrics/review/?service_id={desk['payroll'].pk}")
    expect(page.locator("h1")).to_have_text("Service review: Payroll")
    screenshot("review")
