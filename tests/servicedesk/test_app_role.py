"""On PostgreSQL the application runs as a role that owns no table and is not a superuser:
it works normally, but cannot update, delete, truncate or un-trigger the event tables. The
owner (who runs migrations) is stopped from truncating them by a statement trigger."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from incidents.models import IncidentEvent
from servicedesk.db import grant_app_role

from ..incidents.factories import make_incident

EVENT_TABLES = [
    "bypass_bypassdecision",
    "bypass_bypassevent",
    "bypass_bypassuse",
    "changes_changedecision",
    "changes_changeevent",
    "improvements_improvementevent",
    "incidents_incidentevent",
    "incidents_problemevent",
]


@pytest.fixture
def app_role(require_postgres: Any) -> Iterator[str]:
    """A fresh application role, created and granted inside the test's transaction (so it
    vanishes with it), exactly as the README tells operators to."""
    role = f"sd_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    yield role


def _as(role: str, sql: str, params: Any = None) -> str:
    """Run one statement as ``role``; the error message, or "" when it succeeded."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {role}")
            cursor.execute(sql, params)
    except DatabaseError as exc:
        return str(exc).splitlines()[0]
    return ""


def test_grant_app_role_finds_the_event_tables(app_role: str) -> None:
    granted = grant_app_role(connection, app_role)
    assert granted["event_tables"] == EVENT_TABLES
    assert "incidents_incident" in granted["tables"]
    assert not set(EVENT_TABLES) & set(granted["tables"])


def test_the_app_role_cannot_rewrite_truncate_or_untrigger_history(
    app_role: str, requester: Any
) -> None:
    call_command("grant_app_role", app_role, verbosity=0)
    incident = make_incident(requester)
    event = IncidentEvent.objects.get(incident=incident)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, (SELECT count(*) FROM pg_tables WHERE tableowner = %s) "
            "FROM pg_roles WHERE rolname = %s",
            [app_role, app_role],
        )
        assert cursor.fetchone() == (False, 0)  # not a superuser, owns no table
    # What the application does works.
    assert _as(app_role, "SELECT count(*) FROM incidents_incidentevent") == ""
    assert _as(app_role, "UPDATE incidents_incident SET title = 'Renamed' WHERE id = %s",
               [incident.pk]) == ""  # fmt: skip
    insert = (
        "INSERT INTO incidents_incidentevent (incident_id, type, actor_id, actor_name, "
        "from_status, to_status, reason, payload, is_internal, created_at) "
        "VALUES (%s, 'incident.noted', %s, 'x', '', '', '', '{}', true, now())"
    )
    assert _as(app_role, insert, [incident.pk, requester.pk]) == ""
    # ... and the triggers that keep the at-risk instant run under it (incidents.at_risk)
    assert _as(app_role, "UPDATE incidents_incidentsla SET stopped_at = now(), "
               "responded_at = now() WHERE incident_id = %s", [incident.pk]) == ""  # fmt: skip
    assert _as(app_role, "UPDATE incidents_incident SET due_at = now() WHERE id = %s",
               [incident.pk]) == ""  # fmt: skip
    # What would rewrite history is refused by the privileges themselves.
    for table in EVENT_TABLES:
        denied = f"permission denied for table {table}"
        assert _as(app_role, f"UPDATE {table} SET created_at = now()") == denied
        assert _as(app_role, f"DELETE FROM {table}") == denied
        assert _as(app_role, f"TRUNCATE {table}") == denied
        assert _as(app_role, f"ALTER TABLE {table} DISABLE TRIGGER ALL") == (
            f"must be owner of table {table}"
        )
        assert _as(app_role, f"DROP TRIGGER {table}_append_only_trg ON {table}") == (
            f"must be owner of relation {table}"
        )
    event.refresh_from_db()
    assert event.reason == ""


def test_even_the_owner_cannot_truncate_the_event_tables(require_postgres: Any) -> None:
    for table in EVENT_TABLES:
        refused = f"{table} is append-only: TRUNCATE refused"
        with (
            pytest.raises(DatabaseError, match=refused),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"TRUNCATE {table} CASCADE")


def test_grant_refuses_a_superuser_or_a_missing_role(require_postgres: Any) -> None:
    with pytest.raises(ValueError, match="is a superuser"):
        grant_app_role(connection, "postgres")
    with pytest.raises(ValueError, match="No database role 'nobody_here'"):
        grant_app_role(connection, "nobody_here")
