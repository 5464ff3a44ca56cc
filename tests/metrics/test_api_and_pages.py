"""The endpoints and pages: who may see them, filters, schema, charts, CSV, the review."""

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from org.choices import Role

from .builders import incident

pytestmark = pytest.mark.django_db

PERIOD = "start=2026-03-02&end=2026-03-08&tz=UTC"


@pytest.fixture
def data(requester: Any, analyst: Any, team: Any, service: Any) -> None:
    incident(
        requester,
        created="2026-03-02 10:00",
        resolved="2026-03-02 12:00",
        service=service,
        team=team,
    )
    incident(
        requester,
        created="2026-03-03 10:00",
        resolved="2026-03-04 10:00",
        service=service,
        team=team,
    )


@pytest.mark.parametrize(
    "name", ["outcomes", "changes", "sla", "side-by-side", "exceptions", "fairness"]
)
def test_api_permissions(
    name: str,
    api: Callable[[Any], Any],
    requester: Any,
    analyst: Any,
    manager: Any,
    admin_user: Any,
    in_group: Callable[[Any, Role], Any],
) -> None:
    url = f"/api/v1/metrics/{name}/?{PERIOD}"
    assert api(None).get(url).status_code == 401
    refused = api(requester).get(url)
    assert refused.status_code == 403
    assert refused.json()["code"] == "metrics.permission.view"
    assert api(analyst).get(url).status_code == 403
    assert api(manager).get(url).status_code == 200
    assert api(admin_user).get(url).status_code == 200
    owner = in_group(requester, Role.PROCESS_OWNER)
    assert api(owner).get(url).status_code == 200


def test_outcomes_api_values_and_filters(
    data: None, api: Callable[[Any], Any], manager: Any, service: Any
) -> None:
    body = api(manager).get(f"/api/v1/metrics/outcomes/?{PERIOD}&service_id={service.pk}").json()
    assert body["filters"]["service_id"] == service.pk
    assert body["source"] == "live"
    # 2 h and 24 h: median 13 h, p90 2 + 0.9 x 22 = 21.8 h
    assert body["time_to_restore"]["wall_clock"] == {
        "cases": 2,
        "p50_hours": 13.0,
        "p90_hours": 21.8,
        "too_few_cases": True,
    }
    assert body["reopen_rate"]["denominator"] == 2
    rollup = api(manager).get(f"/api/v1/metrics/outcomes/?{PERIOD}&source=rollup").json()
    assert rollup["source"] == "rollup"
    assert rollup["time_to_restore"]["wall_clock"]["cases"] == 0  # nothing rolled up yet


@pytest.mark.parametrize(
    "query",
    [
        "start=yesterday",
        "start=2026-03-08&end=2026-03-01",
        "tz=Mars/Olympus",
        "priority=9",
        "service_id=999999",
        "bucket=day",
        "start=2020-01-01&end=2026-01-01",
        "start=0001-01-01",
        "end=9999-12-31",
        "source=guess",
        "colour=blue",
    ],
)
def test_bad_filters_are_400(query: str, api: Callable[[Any], Any], manager: Any) -> None:
    response = api(manager).get(f"/api/v1/metrics/outcomes/?{query}")
    assert response.status_code == 400
    assert response.json()["code"].startswith("request.")


def test_changes_api(api: Callable[[Any], Any], manager: Any) -> None:
    body = api(manager).get(f"/api/v1/metrics/changes/?{PERIOD}&priority=2").json()
    assert body["not_applicable"] == ["priority"]
    assert body["deployment_frequency"]["days"] == 7


def test_schema_lists_the_endpoints(api: Callable[[Any], Any]) -> None:
    from tests.support.schema_check import published_schema

    paths = published_schema()["paths"]
    assert "/api/v1/metrics/outcomes/" in paths
    assert "/api/v1/metrics/changes/" in paths
    assert "/api/v1/metrics/sla/" in paths
    assert "/api/v1/metrics/side-by-side/" in paths
    sla = paths["/api/v1/metrics/sla/"]["get"]
    assert {p["name"] for p in sla["parameters"]} >= {"start", "service_id", "source"}


def test_dashboard_pages(data: None, client: Client, manager: Any, service: Any) -> None:
    client.force_login(manager)
    page = client.get(f"/metrics/?{PERIOD}&service_id={service.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Customer outcomes</h1>" in html
    assert "Time to restore service" in html
    assert 'scope="col"' in html and 'scope="row"' in html
    assert "too few cases" in html
    assert "/metrics/chart/restore-trend.svg?" in html
    assert "/metrics/export/restore.csv?" in html
    assert 'href="/metrics/"' in html and "Metrics</a>" in html  # the nav link
    changes = client.get(f"/metrics/changes/?{PERIOD}")
    assert changes.status_code == 200
    assert "Change failure rate" in changes.content.decode()
    assert client.get("/metrics/?start=nonsense").status_code == 400
    sla = client.get(f"/metrics/sla/?{PERIOD}").content.decode()
    assert "<h1>SLA figures</h1>" in sla
    assert "Resolution, matrix priority (published)" in sla
    assert "0 incident(s) resolved with a priority changed by a bypass" in sla
    assert "/metrics/chart/sla-by-priority.svg?" in sla
    side = client.get(f"/metrics/side-by-side/?{PERIOD}").content.decode()
    assert "<h1>SLA and outcomes side by side</h1>" in side
    assert "Too few cases to judge" in side
    assert "SLA looks green from 90% resolution compliance" in side


def test_pages_refuse_requesters_and_analysts(client: Client, requester: Any, analyst: Any) -> None:
    for user in (requester, analyst):
        client.force_login(user)
        assert client.get("/metrics/").status_code == 403
        assert client.get("/metrics/export/restore.csv").status_code == 403
        assert client.get("/metrics/chart/backlog.svg").status_code == 403
    client.force_login(requester)
    assert "Metrics</a>" not in client.get("/").content.decode()


def test_chart_is_a_script_free_svg(data: None, client: Client, manager: Any) -> None:
    client.force_login(manager)
    response = client.get(f"/metrics/chart/restore-trend.svg?{PERIOD}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    body = response.content.decode()
    assert body.lstrip().startswith("<svg")
    assert "<script" not in body and "http://kozea" not in body
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert client.get("/metrics/chart/nope.svg").status_code == 404


@pytest.mark.parametrize(
    "table",
    [
        "restore",
        "rates",
        "impact",
        "waiting",
        "backlog",
        "repeats",
        "outcome-trend",
        "comments",
        "change-rates",
        "change-times",
        "deployments",
        "authorities",
        "templates",
        "change-trend",
        "sla-compliance",
        "sla-by-priority",
        "sla-breaches",
        "sla-times",
        "sla-paused",
        "sla-trend",
        "side-by-side",
        "gates",
        "funnel",
        "reasons",
        "fairness",
        "queue-jumps",
    ],
)
def test_every_table_exports_as_csv(table: str, data: None, client: Client, manager: Any) -> None:
    client.force_login(manager)
    response = client.get(f"/metrics/export/{table}.csv?{PERIOD}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][1] == "2026-03-02 to 2026-03-08"
    assert len(rows) >= 2


def test_the_export_list_matches_the_tables() -> None:
    from metrics import change_outcomes, selectors, tables
    from metrics.filtersets import make_filters

    filters = make_filters()
    outcomes = tables.outcome_tables(selectors.outcomes(filters=filters, source="live"))
    changes = tables.change_tables(change_outcomes.changes(filters=filters))
    assert tuple(t.slug for t in outcomes) == tables.OUTCOME_TABLES
    assert tuple(t.slug for t in changes) == tables.CHANGE_TABLES
    from metrics import exceptions

    built = tables.exception_tables(
        exceptions.exceptions(filters=filters), exceptions.fairness(filters=filters)
    )
    assert tuple(t.slug for t in built) == tables.EXCEPTION_TABLES
    from metrics import sla_tables
    from metrics.side_by_side import side_by_side
    from metrics.sla import sla

    built = sla_tables.sla_tables(sla(filters=filters, source="live"))
    assert tuple(t.slug for t in built) == sla_tables.SLA_TABLES
    built = sla_tables.side_by_side_tables(side_by_side(filters=filters, source="live"))
    assert tuple(t.slug for t in built) == sla_tables.SIDE_BY_SIDE_TABLES


def test_csv_numbers(data: None, client: Client, manager: Any) -> None:
    client.force_login(manager)
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/metrics/export/restore.csv?{PERIOD}").content.decode())
        )
    )
    assert rows[1] == ["Figure", "Median (h)", "90th percentile (h)", "Cases", "Note"]
    assert rows[2] == ["Wall-clock", "13.0", "21.8", "2", "too few cases"]


def test_csv_cells_cannot_be_formulas(requester: Any, client: Client, manager: Any) -> None:
    from .builders import rating

    row = incident(requester, created="2026-03-02 10:00", resolved="2026-03-02 12:00")
    rating(row, 1, "2026-03-02 13:00", '=HYPERLINK("http://evil")')
    client.force_login(manager)
    body = client.get(f"/metrics/export/comments.csv?{PERIOD}").content.decode()
    assert "'=HYPERLINK" in body


def test_printable_service_review(data: None, client: Client, manager: Any, service: Any) -> None:
    client.force_login(manager)
    response = client.get(f"/metrics/review/?{PERIOD}&service_id={service.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Service review: Payroll" in html
    assert "Time to restore service" in html and "Change outcomes" in html


@pytest.mark.parametrize(("source", "queries"), [("live", 19), ("rollup", 13)])
def test_the_review_computes_only_what_it_shows(
    data: None, source: str, queries: int, django_assert_num_queries: Any
) -> None:
    """The brief figures give the review's tables exactly as the full ones, with fewer queries
    (no trends, repeats or SLA distributions)."""
    from datetime import date

    from metrics import selectors, services, sla_tables, tables
    from metrics.filtersets import make_filters
    from metrics.sla import sla

    services.rollup_rebuild_all()
    filters = make_filters(start_date=date(2026, 3, 2), end_date=date(2026, 3, 8))
    shown = ("restore", "rates", "impact", "waiting", "backlog")

    def review(brief: bool) -> list[Any]:
        outcomes = selectors.outcomes(filters=filters, source=source, brief=brief)
        figures = sla(filters=filters, source=source, brief=brief)
        return [t for t in tables.outcome_tables(outcomes) if t.slug in shown] + [
            t for t in sla_tables.sla_tables(figures) if t.slug == "sla-compliance"
        ]

    full = review(brief=False)
    assert any(t.rows for t in full)
    with django_assert_num_queries(queries):
        brief = review(brief=True)
    assert brief == full


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/metrics/outcomes/?{PERIOD}&source=live",
        f"/api/v1/metrics/outcomes/?{PERIOD}&source=rollup",
        f"/api/v1/metrics/changes/?{PERIOD}",
        f"/metrics/?{PERIOD}",
        f"/metrics/changes/?{PERIOD}",
        f"/metrics/review/?{PERIOD}",
        f"/metrics/export/repeats.csv?{PERIOD}",
        f"/api/v1/metrics/sla/?{PERIOD}&source=live",
        f"/api/v1/metrics/sla/?{PERIOD}&source=rollup",
        f"/api/v1/metrics/side-by-side/?{PERIOD}&source=live",
        f"/api/v1/metrics/side-by-side/?{PERIOD}&source=rollup",
        f"/api/v1/metrics/fairness/?{PERIOD}",
        f"/api/v1/metrics/fairness/?{PERIOD}&source=live",
        f"/api/v1/metrics/fairness/?{PERIOD}&source=rollup",
        f"/api/v1/metrics/exceptions/?{PERIOD}",
        f"/metrics/exceptions/?{PERIOD}&source=rollup",
        f"/metrics/export/work-outcomes.csv?{PERIOD}",
        f"/metrics/sla/?{PERIOD}",
        f"/metrics/side-by-side/?{PERIOD}",
        f"/metrics/exceptions/?{PERIOD}",
        f"/metrics/export/side-by-side.csv?{PERIOD}",
        f"/metrics/chart/sla-by-priority.svg?{PERIOD}",
    ],
)
def test_query_counts_do_not_grow_with_the_data(
    url: str, client: Client, manager: Any, requester: Any, team: Any, service: Any
) -> None:
    from ..org.factories import BusinessServiceFactory

    client.force_login(manager)
    incident(requester, created="2026-03-02 10:00", resolved="2026-03-02 12:00", service=service)
    few = _queries(client, url)
    for i in range(12):
        extra = BusinessServiceFactory(slug=f"extra{i}", owner_team=team)
        incident(requester, created="2026-03-03 10:00", resolved="2026-03-04 10:00", service=extra)
        incident(requester, created="2026-03-05 10:00", service=extra, team=team)
    assert _queries(client, url) == few
