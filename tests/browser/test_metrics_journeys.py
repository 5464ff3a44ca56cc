"""A manager reads the metrics in a real Chromium: opens the dashboard from the menu, filters
to one service, sees the figures with their numbers, downloads a table as CSV, sees the
side-by-side marker where the SLA is green but customers are not served, reads the SLA
figures, and opens the exceptions and fairness view."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ..metrics.builders import incident, rating, sla
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
    # Payroll: five restorations within a 48 h SLA (100 % compliance), rated 1 2 2 4 5 (40 %
    # satisfied): SLA green, outcomes poor. VPN: one restoration.
    for days, hours, stars, service in [
        (3, 2, 1, payroll),
        (4, 6, 2, payroll),
        (5, 30, 2, payroll),
        (6, 3, 4, payroll),
        (7, 4, 5, payroll),
        (3, 1, 4, vpn),
    ]:
        created = now - timedelta(days=days)
        row = incident(
            requester,
            created=created.strftime("%Y-%m-%d %H:%M"),
            resolved=(created + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M"),
            service=service,
            team=team,
        )
        sla(row, response_target=4, resolution_target=48, resolution_elapsed=hours)
        when = (created + timedelta(hours=hours + 1)).strftime("%Y-%m-%d %H:%M")
        rating(row, stars, when, "ok" if stars > 3 else "Took too long and nobody called back")
    return {"payroll": payroll, "vpn": vpn}


def test_manager_filters_the_dashboard_and_downloads_a_csv(
    live_server: Any, page: Any, desk: dict[str, Any], screenshot: Any
) -> None:
    def shot(name: str) -> None:
        # the charts are images computed on the server: let them arrive before the picture
        page.wait_for_load_state("load")
        page.wait_for_function(
            "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
        )
        screenshot(name)

    sign_in(page, live_server, "manager")
    page.click("nav >> text=Metrics")
    expect(page.locator("h1")).to_have_text("Customer outcomes")
    page.select_option("#id_service_id", label="Payroll")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#id_service_id option:checked")).to_have_text("Payroll")
    restore = page.locator("section[aria-labelledby=t-restore]")
    # Payroll: 2, 3, 4, 6 and 30 hours → median 4 h; p90 at rank 3.6: 6 + 0.6 x 24 = 20.4
    expect(restore.locator("tbody tr").first).to_contain_text("Wall-clock")
    expect(restore.locator("tbody tr").first).to_contain_text("4.0")
    expect(restore.locator("tbody tr").first).to_contain_text("20.4")
    # no workaround reached anyone: 0 cases, marked
    expect(restore.locator("tbody tr").nth(2)).to_contain_text("too few cases")
    expect(page.locator("figure.chart img").first).to_be_visible()
    shot("outcomes-payroll")
    with page.expect_download() as download_info:
        restore.get_by_role("link", name="Download “Time to restore service” as CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("restore-")
    body = Path(download.path()).read_text(encoding="utf-8")
    assert "Wall-clock,4.0,20.4,5," in body
    # side by side, still filtered to Payroll: the marker is words, not only a colour
    page.click(".tabs >> text=Side by side")
    expect(page.locator("h1")).to_have_text("SLA and outcomes side by side")
    expect(page.locator("#id_service_id option:checked")).to_have_text("Payroll")
    summary = page.locator("ul.marker-summary li")
    expect(summary).to_have_count(1)
    expect(summary).to_contain_text("Payroll: SLA green, outcomes poor — satisfied 40% < 70%")
    row = page.locator("section[aria-labelledby=t-side-by-side] tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("100.0%")
    expect(row).to_contain_text("40.0%")
    expect(row.locator(".badge")).to_have_text("SLA green, outcomes poor")
    shot("side-by-side-payroll")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download “SLA next to outcomes, per service” as CSV").click()
    body = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert 'Payroll,100.0%,5,5,4.0,5,40.0%,2,5,2.8,"SLA green, outcomes poor"' in body
    page.click(".tabs >> text=SLA figures")
    expect(page.locator("h1")).to_have_text("SLA figures")
    compliance = page.locator("section[aria-labelledby=t-sla-compliance]")
    expect(compliance.locator("tbody tr").nth(2)).to_contain_text(
        "Resolution, matrix priority (published)"
    )
    expect(compliance.locator("tbody tr").nth(2)).to_contain_text("100.0%")
    shot("sla-payroll")
    page.click(".tabs >> text=Change outcomes")
    expect(page.locator("h1")).to_have_text("Change outcomes")
    shot("changes")
    page.click(".tabs >> text=Exceptions and fairness")
    expect(page.locator("h1")).to_have_text("Exceptions and fairness")
    fairness = page.locator("section[aria-labelledby=t-fairness]")
    expect(fairness.locator("tbody tr").first).to_contain_text("Staff")
    jumps = page.locator("section[aria-labelledby=t-queue-jumps]")
    expect(jumps.locator("tbody tr").first).to_contain_text("Staff")
    glass = page.locator("section[aria-labelledby=t-break-glass]")
    expect(glass.locator("tbody tr").first).to_contain_text("Declared")
    shot("exceptions-and-fairness")
    page.goto(f"{live_server.url}/metrics/review/?service_id={desk['payroll'].pk}")
    expect(page.locator("h1")).to_have_text("Service review: Payroll")
    shot("review")
