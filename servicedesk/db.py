"""Database-level guarantees shared by apps: append-only event tables, and the privileges of
the application's own database role.

PostgreSQL gets a trigger function that raises on UPDATE and DELETE (``append_only``) and a
statement trigger that raises on TRUNCATE (``refuse_truncate``); SQLite, the embedded default,
gets ``RAISE(ABORT, ...)`` triggers for UPDATE and DELETE and has no TRUNCATE. A new event
table gets both in its migration.

On PostgreSQL the application runs under a role that owns no table (``grant_app_role``): it
may read and write the ordinary tables but only read and append to the event tables, so even
a compromised application cannot rewrite history, truncate it or switch its triggers off.
"""

from typing import Any

from django.db import migrations


def _pg_sql(table: str) -> tuple[list[str], list[str]]:
    fn = f"{table}_append_only"
    forward = [
        f"""CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION USING
                MESSAGE = '{table} is append-only: ' || TG_OP || ' refused',
                ERRCODE = 'insufficient_privilege'; END; $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER {fn}_trg BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {fn}()""",
    ]
    backward = [
        f"DROP TRIGGER IF EXISTS {fn}_trg ON {table}",
        f"DROP FUNCTION IF EXISTS {fn}()",
    ]
    return forward, backward


def _sqlite_sql(table: str) -> tuple[list[str], list[str]]:
    forward = [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END""",
    ]
    backward = [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
    ]
    return forward, backward


_VENDORS = {"postgresql": _pg_sql, "sqlite": _sqlite_sql}


def append_only(table: str) -> migrations.RunPython:
    def run(statements_index: int) -> Any:
        def apply(apps: Any, schema_editor: Any) -> None:
            builder = _VENDORS.get(schema_editor.connection.vendor)
            if builder is None:
                raise NotImplementedError(
                    f"append-only trigger for {schema_editor.connection.vendor}"
                )
            for statement in builder(table)[statements_index]:
                schema_editor.execute(statement)

        return apply

    return migrations.RunPython(run(0), run(1))


def sqlite_append_only_restored(table: str) -> migrations.RunPython:
    """After a migration that alters a column of an append-only table: SQLite alters a column by
    rebuilding the table, and the rebuild drops the table's triggers; this puts them back.
    PostgreSQL keeps its triggers through ``ALTER TABLE``: nothing to do there."""

    def apply(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "sqlite":
            return
        for statement in _sqlite_sql(table)[0]:
            schema_editor.execute(
                statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1)
            )

    return migrations.RunPython(apply, migrations.RunPython.noop)


def _pg_truncate_sql(table: str) -> tuple[list[str], list[str]]:
    fn = f"{table}_no_truncate"
    forward = [
        f"""CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION USING
                MESSAGE = '{table} is append-only: TRUNCATE refused',
                ERRCODE = 'insufficient_privilege'; END; $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER {fn}_trg BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {fn}()""",
    ]
    backward = [f"DROP TRIGGER IF EXISTS {fn}_trg ON {table}", f"DROP FUNCTION IF EXISTS {fn}()"]
    return forward, backward


def refuse_truncate(table: str) -> migrations.RunPython:
    """A statement trigger refusing TRUNCATE on PostgreSQL (SQLite has no TRUNCATE)."""

    def run(statements_index: int) -> Any:
        def apply(apps: Any, schema_editor: Any) -> None:
            if schema_editor.connection.vendor != "postgresql":
                return
            for statement in _pg_truncate_sql(table)[statements_index]:
                schema_editor.execute(statement)

        return apply

    return migrations.RunPython(run(0), run(1))


EVENT_TABLES_SQL = """
    SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE t.tgname = c.relname || '_append_only_trg' AND NOT t.tgisinternal ORDER BY 1
"""


def grant_app_role(connection: Any, role: str) -> dict[str, list[str]]:
    """Give ``role`` what the application needs and nothing more, on every table in the
    schema: read and write on ordinary tables; read and insert only on event tables (those
    carrying the append-only trigger); sequences for inserts. Idempotent: run it after every
    ``migrate`` (as the owner). Returns the tables granted, by kind."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("An application role is a PostgreSQL feature.")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            raise ValueError(f"No database role {role!r}: create it first (see README).")
        if row[0]:
            raise ValueError(f"{role!r} is a superuser; the application role must not be one.")
        cursor.execute(EVENT_TABLES_SQL)
        events = [r[0] for r in cursor.fetchall()]
        tables = connection.introspection.table_names(cursor)
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quote(role)}")
        ordinary = [t for t in tables if t not in events]
        for table in ordinary:
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON {quote(table)} TO {quote(role)}"
            )
        for table in events:
            cursor.execute(f"REVOKE ALL ON {quote(table)} FROM {quote(role)}")
            cursor.execute(f"GRANT SELECT, INSERT ON {quote(table)} TO {quote(role)}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quote(role)}")
    return {"tables": ordinary, "event_tables": events}
