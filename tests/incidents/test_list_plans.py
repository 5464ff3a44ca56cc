"""The main incident lists are served by indexes (issue 9): EXPLAIN every query a list runs
against the incident table and refuse a sequential scan of it or a sort spilling to disk.

The table here is small, where a sequential scan is the cheapest plan whatever the indexes, so
the plans are taken with ``enable_seqscan = off`` (for this transaction only): PostgreSQL then
uses an index whenever one can serve the query, and a Seq Scan left in the plan means no index
can. PostgreSQL only; in CI a missing PostgreSQL is a failure, not a skip."""

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents.choices import OPEN_STATUSES, RUNNING_STATUSES

pytestmark = pytest.mark.django_db

LIST = "/api/v1/incidents/"


# The incident table's required columns, for rows the database writes itself (generate_series).
INSERT = (
    "INSERT INTO incidents_incident (title, description, requester_id, reported_by_id, "
    "channel, impact, urgency, priority, team_id, assignee_id, status, "
    "assignment_source, team_source, pending_reason, affected_users, is_major, "
    "queue_rank, queue_source, priority_source, workaround, resolution_code, "
    "resolution_notes, created_at, updated_at, due_at, reopened_count)"
)


@pytest.fixture
def loaded(
    require_postgres: Any, requester: Any, analyst: Any, team: Any, admin_user: Any
) -> dict[str, Any]:
    """400 incidents, a fifth of them open, loaded by the database itself."""
    with connection.cursor() as cur:
        cur.execute(
            f"{INSERT} "
            "SELECT 'Printer ' || g, 'please help ' || g, %s, %s, 'portal', 3, 3, 1 + g %% 4, "
            "CASE WHEN g %% 3 = 0 THEN NULL ELSE %s END, CASE WHEN g %% 2 = 0 THEN %s END, "
            "CASE WHEN g %% 5 = 0 THEN 'in_progress' ELSE 'closed' END, '', '', '', 1, false, "
            "0, 'order', 'matrix', '', '', '', now() - g * interval '1 hour', now(), "
            "now() + g * interval '1 hour', 0 FROM generate_series(1, 400) g",
            [requester.pk, requester.pk, team.pk, analyst.pk],
        )
        cur.execute("ANALYZE incidents_incident")
    return {"team": team, "analyst": analyst, "admin": admin_user}


def incident_queries(client: Any, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return [
        q["sql"]
        for q in ctx.captured_queries
        if 'FROM "incidents_incident"' in q["sql"] and q["sql"].startswith("SELECT")
    ]


def plan_of(sql: str, *off: str) -> str:
    """The plan with ``off`` settings off, in a savepoint rolled back after, so the settings
    end with it (released, they would last the test's transaction, its deferred foreign-key
    checks included)."""
    with transaction.atomic(), connection.cursor() as cur:
        for setting in ("enable_seqscan", *off):
            cur.execute(f"SET LOCAL {setting} = off")
        cur.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}")
        transaction.set_rollback(True)
        return "\n".join(row[0] for row in cur.fetchall())


def assert_indexed(client: Any, url: str, *, ordered_by_index: bool = False) -> None:
    """No sequential scan of the incident table, no sort spilling to disk; with
    ``ordered_by_index`` (a list of the whole table) no sort at all: the index gives the
    order. A filtered list may sort what its filter's index found."""
    queries = incident_queries(client, url)
    assert queries, f"{url} read no incidents"
    for sql in queries:
        plan = plan_of(sql)
        assert "Seq Scan on incidents_incident" not in plan, f"{url}\n{sql}\n{plan}"
        assert "external merge" not in plan and "Disk:" not in plan, f"{url}\n{plan}"
        if ordered_by_index and "ORDER BY" in sql:
            assert "Sort" not in plan, f"{url}\n{sql}\n{plan}"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?ordering=created",
        "?ordering=-created",
        "?ordering=priority",
        "?ordering=-priority",
        "?ordering=due",
        "?ordering=-due",
        "?ordering=updated",
        "?ordering=-updated",
        "?ordering=status",
        "?ordering=-status",
    ],
)
def test_every_ordering_of_the_whole_list_is_an_index_scan(
    loaded: Any, api: Any, query: str
) -> None:
    client = api(loaded["admin"])
    assert_indexed(client, f"{LIST}{query}", ordered_by_index=True)
    # and the second page, through the cursor of the first
    first = client.get(f"{LIST}{query}{'&' if query else '?'}page_size=10").json()
    assert first["next"] and "cursor=" in first["next"]
    assert_indexed(client, first["next"].split("testserver", 1)[1], ordered_by_index=True)


@pytest.mark.parametrize(
    "query", ["?open=true", "?status=in_progress", "?open=true&ordering=priority", "?q=printer"]
)
def test_filtered_lists_use_an_index(loaded: Any, api: Any, query: str) -> None:
    assert_indexed(api(loaded["analyst"]), f"{LIST}{query}")


def test_api_filters_by_team_and_assignee_use_an_index(loaded: Any, api: Any) -> None:
    client = api(loaded["analyst"])
    assert_indexed(client, f"{LIST}?team_id={loaded['team'].pk}")
    assert_indexed(client, f"{LIST}?assignee_id={loaded['analyst'].pk}")


@pytest.mark.parametrize("tab", ["mine", "unassigned", "team", "all", "triage"])
def test_queue_tabs_use_an_index(loaded: Any, client: Any, tab: str) -> None:
    client.force_login(loaded["analyst"])
    assert_indexed(client, f"/queue/{tab}/")
    assert_indexed(client, f"/queue/{tab}/?ordering=due")


def test_triage_reads_the_partial_index_of_untriaged_incidents(loaded: Any, client: Any) -> None:
    """The triage page and its count read the open incidents without a team from their own
    partial index, oldest first, with no sort: the retired teams are values in the condition,
    not a subquery the planner cannot estimate (selectors.queue_conditions)."""
    client.force_login(loaded["analyst"])
    queries = incident_queries(client, "/queue/triage/")
    page = [q for q in queries if 'ORDER BY "incidents_incident"."created_at" ASC' in q]
    assert len(page) == 1, queries
    plan = plan_of(page[0])
    assert "inc_open_untriaged_idx" in plan and "Sort" not in plan, plan


@pytest.fixture
def mostly_closed(loaded: dict[str, Any], requester: Any) -> dict[str, Any]:
    """The shape of a desk years in: 30,000 closed incidents with the earliest due times and
    every priority, beside the open fifth of ``loaded``."""
    with connection.cursor() as cur:
        cur.execute(
            f"{INSERT} "
            "SELECT 'Old ' || g, '', %s, %s, 'portal', 3, 3, 1 + g %% 4, %s, NULL, 'closed', "
            "'', '', '', 1, false, 0, 'order', 'matrix', '', '', '', "
            "now() - interval '3 years' + g * interval '1 minute', "
            "now() - interval '3 years' + g * interval '1 minute', "
            "now() - interval '3 years' + g * interval '1 minute', 0 "
            "FROM generate_series(1, 30000) g",
            [requester.pk, requester.pk, loaded["team"].pk],
        )
        cur.execute("ANALYZE incidents_incident")
    return loaded


@pytest.mark.parametrize(
    ("ordering", "index"),
    [
        ("priority", "inc_open_priority_idx"),
        ("due", "inc_open_due_idx"),
        ("updated", "inc_open_updated_idx"),
    ],
)
def test_queue_sorts_read_an_index_of_open_incidents(
    mostly_closed: Any, client: Any, ordering: str, index: str
) -> None:
    """A queue sorted by a column walks that column's index of open incidents: the whole
    table's index, ascending, first reads every closed incident with an early value (at
    1,000,000 incidents the team tab by priority took 74 ms that way, by due time 30 ms; now
    under 1 ms)."""
    client.force_login(mostly_closed["analyst"])
    queries = incident_queries(client, f"/queue/team/?ordering={ordering}")
    page = [q for q in queries if "ORDER BY" in q and "LIMIT" in q and "COUNT" not in q]
    assert len(page) == 1, queries
    plan = plan_of(page[0])
    assert index in plan, plan


def test_open_statuses_match_the_partial_indexes() -> None:
    """The queues' partial indexes are built on the open statuses: the list the code uses."""
    from incidents.models import Incident

    partial = [i for i in Incident._meta.indexes if i.name.startswith("inc_open_")]
    assert len(partial) == 6 and all(
        dict(i.condition.children)["status__in"] == OPEN_STATUSES for i in partial
    )
    # ... and "breaching soon"'s on the running ones (open, not on hold)
    running = [i for i in Incident._meta.indexes if i.name.startswith("inc_running_")]
    assert [dict(i.condition.children)["status__in"] for i in running] == [RUNNING_STATUSES]


def test_breaching_soon_reads_the_running_at_risk_index(mostly_closed: Any, client: Any) -> None:
    """ "Breaching soon" and its tab count read the at-risk instants kept on the rows from the
    index of running incidents alone (incidents.at_risk): it carries the team, the assignee and
    the due time, so no row is read to learn whose a ticket is or when it falls due; each
    listed one's clock is read by its key, never every clock hashed. (At 1,000,000 incidents
    ~2 ms for the page's 500 and ~1 ms for the count, where reading each candidate's row and
    clock took 4-6 ms each.)"""
    with connection.cursor() as cur:  # a few of the open ones due now: at risk for 4 hours
        cur.execute(
            "UPDATE incidents_incident SET due_at = now() WHERE status = 'in_progress' "
            "AND id % 16 = 0"
        )
        at_risk = cur.rowcount
        cur.execute("ANALYZE incidents_incident")
    client.force_login(mostly_closed["analyst"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/queue/breaching/")
    assert response.status_code == 200
    assert 0 < at_risk < 10 and f"{at_risk} in all" in response.content.decode()
    rows = [q["sql"] for q in ctx.captured_queries if '"candidate"' in q["sql"]]
    assert len(rows) == 1, [q["sql"] for q in ctx.captured_queries]
    # (The table here is just loaded, with no visibility map: the plan reads the index and
    # then the rows; at 1,000,000 incidents, vacuumed, it reads the index alone.)
    plan = plan_of(rows[0], "enable_bitmapscan")
    assert "using inc_running_at_risk_idx" in plan, plan
    assert "Index Scan using incidents_incidentsla_pkey" in plan, plan
    assert "Seq Scan" not in plan and "Hash" not in plan, plan
    counts = [q["sql"] for q in ctx.captured_queries if "AS tab_" in q["sql"]]
    assert len(counts) == 1, counts
    plan = plan_of(counts[0], "enable_bitmapscan")
    assert "using inc_running_at_risk_idx" in plan, plan
