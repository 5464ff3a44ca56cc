"""Every event table stays append-only after all migrations, on both databases: a later
migration that rebuilds a table (SQLite alters a column that way) must not lose its triggers."""

from typing import Any

from django.db import connection

from servicedesk.db import EVENT_TABLES_SQL

from .test_app_role import EVENT_TABLES

APPEND_ONLY = EVENT_TABLES  # the tables the application role may only read and append to


def _tables_with_triggers() -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(EVENT_TABLES_SQL)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = {row[0] for row in cursor.fetchall()}
    return sorted(t for t in APPEND_ONLY if {f"{t}_no_update", f"{t}_no_delete"} <= names)


def test_every_event_table_carries_its_append_only_triggers(db: Any) -> None:
    assert _tables_with_triggers() == APPEND_ONLY
