"""Event tables are append-only: the database itself refuses UPDATE and DELETE."""

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from incidents.models import IncidentEvent, ProblemEvent

from .factories import make_incident, make_problem


def _refused(action: Any) -> None:
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        action()
    assert "append-only" in str(refused.value)


@pytest.mark.parametrize("model", [IncidentEvent, ProblemEvent])
def test_update_and_delete_are_refused(model: Any, requester: Any, analyst: Any) -> None:
    make_incident(requester)
    make_problem(analyst)
    event = model.objects.first()
    table = model._meta.db_table
    _refused(lambda: model.objects.filter(pk=event.pk).update(reason="rewritten"))
    _refused(lambda: model.objects.filter(pk=event.pk).delete())

    def raw_update() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET reason = 'x' WHERE id = %s", [event.pk])

    _refused(raw_update)
    event.refresh_from_db()
    assert event.reason == ""


def test_postgres_trigger_is_installed(require_postgres: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'incidents_incidentevent'::regclass "
            "AND NOT tgisinternal ORDER BY tgname"
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "incidents_incidentevent_append_only_trg",
            "incidents_incidentevent_no_truncate_trg",
        ]


def test_timeline_is_complete(requester: Any, analyst: Any, team: Any) -> None:
    from .factories import incident_in

    incident = incident_in("closed", requester=requester, analyst=analyst, team=team)
    rows = list(
        IncidentEvent.objects.filter(incident=incident)
        .order_by("pk")
        .values_list("type", "from_status", "to_status", "actor_name")
    )
    assert rows == [
        ("incident.created", "", "new", "Requester"),
        ("incident.assigned", "new", "assigned", "Analyst"),
        ("incident.started", "assigned", "in_progress", "Analyst"),
        ("incident.resolved", "in_progress", "resolved", "Analyst"),
        ("incident.closed", "resolved", "closed", "Requester"),
    ]
