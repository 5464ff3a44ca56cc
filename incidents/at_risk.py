"""The at-risk instant kept on the incident row (``Incident.at_risk_at``) by the database.

A running incident (open, not on hold: ``RUNNING_STATUSES``) comes at risk when the earlier
at-risk instant of its SLA clock's parts still running passes: the resolution part until the
clock stops, the response part until someone responds (both in business time, stored on
``IncidentSla`` by the services). One without a clock (logged before SLA clocks) comes at risk
``BREACHING_WITHIN`` before its due time. Empty: never (a clock with nothing running, no due
time), and for every incident not running (so the column's statistics describe the running
ones, and closing an incident writes nothing more than it did).

"Breaching soon" and its tab count ask which of a team's running incidents are at risk. Derived
from the clock on each read, that meant reading every candidate's row and clock (at 1,000,000
incidents 3-6 ms for the count and ~4 ms for the list, each request). Kept on the row, it is a
range of an index (``inc_running_at_risk_idx``).

Triggers keep it, so no writer can leave it behind, whether a service saving one clock, the
escalation sweep's ``UPDATE … FROM (VALUES …)``, a bulk update or a data load:
- a clock inserted, deleted, or with one of its four deciding columns changed sets the
  instant on its incident (only when the value differs: the sweep rewrites clocks whose
  instants stay put, and each needless write would add a row version to every index of the
  incident table);
- an incident inserted, or updated into or out of the running statuses, with a new due time
  or with a written ``at_risk_at`` (a full ``save()`` of a stale instance), computes it again,
  so a stale value written from memory never lands.

On PostgreSQL a SQL function computes the instant and plpgsql triggers apply it; on SQLite (the
embedded default) the same rule is written with SQLite's text timestamps. SQLite drops a
table's triggers when a migration rebuilds the table: such a migration ends with
``restored()`` (``tests/incidents/test_at_risk.py`` fails without it).

``BREACHING_WITHIN`` and the running statuses are written into the SQL: changing either takes
a migration that runs ``install()`` again.
"""

from datetime import timedelta
from typing import Any

from django.db import migrations

from .choices import RUNNING_STATUSES

BREACHING_WITHIN = timedelta(hours=4)
CLOCK_COLUMNS = ("response_at_risk_at", "resolution_at_risk_at", "responded_at", "stopped_at")
SQLITE_NEVER = "9999-12-31 23:59:59"
_RUNNING = ", ".join(f"'{status}'" for status in RUNNING_STATUSES)


def _pg_forward() -> list[str]:
    window = f"interval '{int(BREACHING_WITHIN.total_seconds())} seconds'"
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in CLOCK_COLUMNS)
    clock = "FROM incidents_incidentsla c WHERE c.incident_id = incident"
    return [
        # the instant for an incident: none unless running; from its clock when it has one,
        # else from its due time (CASE stops at the first branch that holds: no probe of the
        # clock for an incident not running)
        f"""CREATE OR REPLACE FUNCTION incidents_at_risk_of(
                incident bigint, due timestamptz, status text)
            RETURNS timestamptz LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN status NOT IN ({_RUNNING}) THEN NULL
                WHEN NOT EXISTS (SELECT 1 {clock}) THEN due - {window}
                ELSE (SELECT LEAST(
                    CASE WHEN c.stopped_at IS NULL THEN c.resolution_at_risk_at END,
                    CASE WHEN c.responded_at IS NULL THEN c.response_at_risk_at END) {clock})
                END $$""",
        """CREATE OR REPLACE FUNCTION incidents_incident_at_risk() RETURNS trigger AS $$
            BEGIN
                NEW.at_risk_at := incidents_at_risk_of(NEW.id, NEW.due_at, NEW.status);
                RETURN NEW;
            END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER incidents_incident_at_risk_ins BEFORE INSERT ON incidents_incident
            FOR EACH ROW EXECUTE FUNCTION incidents_incident_at_risk()""",
        # (a status change within running, or within not running, changes nothing here: the
        # auto-close sweep's resolved → closed runs no function)
        f"""CREATE TRIGGER incidents_incident_at_risk_upd BEFORE UPDATE ON incidents_incident
            FOR EACH ROW WHEN (OLD.due_at IS DISTINCT FROM NEW.due_at
                OR OLD.at_risk_at IS DISTINCT FROM NEW.at_risk_at
                OR (OLD.status IN ({_RUNNING})) <> (NEW.status IN ({_RUNNING})))
            EXECUTE FUNCTION incidents_incident_at_risk()""",
        """CREATE OR REPLACE FUNCTION incidents_clock_at_risk() RETURNS trigger AS $$
            DECLARE target bigint;
            BEGIN
                IF TG_OP = 'DELETE' THEN target := OLD.incident_id;
                ELSE target := NEW.incident_id; END IF;
                UPDATE incidents_incident
                SET at_risk_at = incidents_at_risk_of(id, due_at, status)
                WHERE id = target
                    AND at_risk_at IS DISTINCT FROM incidents_at_risk_of(id, due_at, status);
                RETURN NULL;
            END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER incidents_clock_at_risk_ins_del
            AFTER INSERT OR DELETE ON incidents_incidentsla
            FOR EACH ROW EXECUTE FUNCTION incidents_clock_at_risk()""",
        f"""CREATE TRIGGER incidents_clock_at_risk_upd AFTER UPDATE ON incidents_incidentsla
            FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION incidents_clock_at_risk()""",
    ]


PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS incidents_clock_at_risk_upd ON incidents_incidentsla",
    "DROP TRIGGER IF EXISTS incidents_clock_at_risk_ins_del ON incidents_incidentsla",
    "DROP FUNCTION IF EXISTS incidents_clock_at_risk()",
    "DROP TRIGGER IF EXISTS incidents_incident_at_risk_upd ON incidents_incident",
    "DROP TRIGGER IF EXISTS incidents_incident_at_risk_ins ON incidents_incident",
    "DROP FUNCTION IF EXISTS incidents_incident_at_risk()",
    "DROP FUNCTION IF EXISTS incidents_at_risk_of(bigint, timestamptz, text)",
]


def _sqlite_value(incident: str, due: str, status: str) -> str:
    """The instant for an incident as SQLite stores timestamps (Django writes UTC as text,
    'YYYY-MM-DD HH:MM:SS' and the fraction if any: text order is time order)."""
    seconds = int(BREACHING_WITHIN.total_seconds())
    never = f"'{SQLITE_NEVER}'"
    clock = f"FROM incidents_incidentsla c WHERE c.incident_id = {incident}"

    def running(part: str, done: str) -> str:
        return f"COALESCE(CASE WHEN c.{done} IS NULL THEN c.{part}_at_risk_at END, {never})"

    return f"""(CASE WHEN {status} NOT IN ({_RUNNING}) THEN NULL
            WHEN NOT EXISTS (SELECT 1 {clock})
            THEN strftime('%Y-%m-%d %H:%M:%S', {due}, '-{seconds} seconds') || substr({due}, 20)
            ELSE (SELECT NULLIF(MIN({running("resolution", "stopped_at")},
                                    {running("response", "responded_at")}), {never}) {clock})
            END)"""


_SQLITE_ROW = ("incidents_incident.id", "incidents_incident.due_at", "incidents_incident.status")


def _sqlite_forward() -> list[str]:
    def set_on(incident: str) -> str:
        # (no alias: SQLite takes none on a trigger's UPDATE)
        value = _sqlite_value(*_SQLITE_ROW)
        return f"""UPDATE incidents_incident SET at_risk_at = {value}
            WHERE id = {incident} AND at_risk_at IS NOT {value}"""  # noqa: S608

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in CLOCK_COLUMNS)
    return [
        # SQLite runs no trigger from its own statement (recursive triggers are off), so the
        # incident's own update below does not fire it again
        f"""CREATE TRIGGER incidents_incident_at_risk_ins AFTER INSERT ON incidents_incident
            BEGIN {set_on("NEW.id")}; END""",
        f"""CREATE TRIGGER incidents_incident_at_risk_upd
            AFTER UPDATE OF status, due_at, at_risk_at ON incidents_incident
            WHEN OLD.due_at IS NOT NEW.due_at OR OLD.at_risk_at IS NOT NEW.at_risk_at
                OR (OLD.status IN ({_RUNNING})) IS NOT (NEW.status IN ({_RUNNING}))
            BEGIN {set_on("NEW.id")}; END""",
        f"""CREATE TRIGGER incidents_clock_at_risk_ins AFTER INSERT ON incidents_incidentsla
            BEGIN {set_on("NEW.incident_id")}; END""",
        f"""CREATE TRIGGER incidents_clock_at_risk_del AFTER DELETE ON incidents_incidentsla
            BEGIN {set_on("OLD.incident_id")}; END""",
        f"""CREATE TRIGGER incidents_clock_at_risk_upd AFTER UPDATE ON incidents_incidentsla
            WHEN {changed} BEGIN {set_on("NEW.incident_id")}; END""",
    ]


SQLITE_TRIGGERS = (
    "incidents_incident_at_risk_ins",
    "incidents_incident_at_risk_upd",
    "incidents_clock_at_risk_ins",
    "incidents_clock_at_risk_del",
    "incidents_clock_at_risk_upd",
)


def _statements(vendor: str, forward: bool) -> list[str]:
    if vendor == "postgresql":
        return _pg_forward() if forward else PG_BACKWARD
    if vendor == "sqlite":
        return (
            _sqlite_forward()
            if forward
            else [f"DROP TRIGGER IF EXISTS {t}" for t in SQLITE_TRIGGERS]
        )
    raise NotImplementedError(f"the at-risk triggers for {vendor}")


def backfill_sql(vendor: str) -> str:
    """Every incident's instant, set-wise (after installing the triggers, or a bulk load
    that bypassed them)."""
    if vendor == "postgresql":
        value, differs = "incidents_at_risk_of(id, due_at, status)", "IS DISTINCT FROM"
    else:
        value, differs = _sqlite_value(*_SQLITE_ROW), "IS NOT"
    return f"UPDATE incidents_incident SET at_risk_at = {value} WHERE at_risk_at {differs} {value}"  # noqa: S608


def install() -> migrations.RunPython:
    """The triggers and every incident's instant (reversible: the backward step drops them)."""

    def forward(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        for statement in _statements(vendor, True):
            schema_editor.execute(statement)
        schema_editor.execute(backfill_sql(vendor))

    def backward(apps: Any, schema_editor: Any) -> None:
        for statement in _statements(schema_editor.connection.vendor, False):
            schema_editor.execute(statement)

    return migrations.RunPython(forward, backward)


def restored() -> migrations.RunPython:
    """After a migration that rebuilds ``incidents_incident`` or ``incidents_incidentsla`` on
    SQLite (which drops their triggers): the triggers again, and the instants they missed."""

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "sqlite":
            return
        for statement in _statements("sqlite", False) + _statements("sqlite", True):
            schema_editor.execute(statement)
        schema_editor.execute(backfill_sql("sqlite"))

    return migrations.RunPython(forward, migrations.RunPython.noop)
