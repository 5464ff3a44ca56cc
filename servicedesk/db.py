"""Database-level guarantees shared by apps: append-only event tables.

PostgreSQL gets a trigger function that raises on UPDATE and DELETE (TRUNCATE needs the table
owner's privilege and is left to operators and the test runner's flush). SQLite, the embedded
default, gets ``RAISE(ABORT, ...)`` triggers. Migrations create and drop both through
``append_only(table)``.
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
