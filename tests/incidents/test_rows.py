"""Rows by id without the ORM's per-request work (servicedesk.rows): the instances are the ones
the ORM builds — field for field, related object for related object, the same state — the list
answers the same JSON, and anything the module does not reproduce goes through the ORM."""

from typing import Any

import pytest
from django.db import connection
from django.db.models import F, Model
from django.test.utils import CaptureQueriesContext

from incidents import selectors
from incidents.api.serializers import IncidentSerializer
from incidents.models import Category, Incident, IncidentEvent, IncidentSla
from org.models import BusinessService
from servicedesk.pagination import keyset_page
from servicedesk.rows import rows_by_id, rows_for_ids

from .test_api_list_fast import desk  # noqa: F401 - the fixture: every status and relation

pytestmark = pytest.mark.django_db


def fields_of(obj: Model) -> dict[str, Any]:
    """What the instance holds: its loaded field values and its database state."""
    loaded = {
        f.attname: obj.__dict__[f.attname]
        for f in obj._meta.concrete_fields
        if f.attname in obj.__dict__
    }
    return {**loaded, "_adding": obj._state.adding, "_db": obj._state.db}


def related_of(obj: Model, name: str) -> Any:
    """The related object cached on ``obj`` under ``name`` (``"missing"`` when the reverse
    one-to-one has no row), read without a query."""
    field = obj._meta.get_field(name)
    if not field.is_cached(obj):  # type: ignore[union-attr]
        return "not cached"
    value = field.get_cached_value(obj)  # type: ignore[union-attr]
    return None if value is None else fields_of(value)


@pytest.fixture
def listed(desk: list[Incident], team: Any) -> list[Incident]:  # noqa: F811
    """The desk, one of them with a service and a category too."""
    service = BusinessService.objects.create(name="E-mail", slug="e-mail", owner_team=team)
    category = Category.objects.create(name="Printing", slug="printing")
    Incident.objects.filter(pk=desk[1].pk).update(service=service, category=category)
    return desk


def test_rows_are_the_instances_the_orm_builds(listed: list[Incident], admin_user: Any) -> None:
    queryset = selectors.incident_list(user=admin_user)
    ids = [incident.pk for incident in listed]
    orm = {row.pk: row for row in queryset.filter(pk__in=ids)}
    with CaptureQueriesContext(connection) as read:
        fast = rows_for_ids(queryset, ids)
    assert fast is not None and set(fast) == set(orm) == set(ids)
    # the rows with their small tables joined, their people, the merged duplicate's original
    assert len(read.captured_queries) == 3
    with CaptureQueriesContext(connection) as after:
        for pk, row in orm.items():
            mine = fast[pk]
            assert type(mine) is Incident
            assert fields_of(mine) == fields_of(row)
            assert (
                mine.get_deferred_fields() == row.get_deferred_fields() == set(selectors.NOT_SHOWN)
            )
            for name in (*selectors.LIST_RELATED, *selectors.LIST_BATCHED):
                assert related_of(mine, name) == related_of(row, name), (pk, name)
            if related_of(row, "sla") is not None:  # the clocks know their incident
                assert mine.sla.incident is mine
    assert after.captured_queries == []

    # the desk has each kind of row: without clocks, with a problem, a duplicate, a service
    def having(name: str) -> int:
        return sum(isinstance(related_of(row, name), dict) for row in orm.values())

    assert (having("sla"), having("problem"), having("merged_into"), having("service")) == (
        len(ids) - 1,
        1,
        1,
        1,
    )
    bare = next(row for row in fast.values() if related_of(row, "sla") is None)
    with pytest.raises(IncidentSla.DoesNotExist):
        bare.sla  # noqa: B018 - as the ORM's row answers: no clocks
    # a field left out loads on access, as a deferred field does
    with CaptureQueriesContext(connection) as deferred:
        fast[ids[0]].search_document  # noqa: B018
    assert len(deferred.captured_queries) == 1


def test_the_list_answers_the_same_json(listed: list[Incident], admin_user: Any, api: Any) -> None:
    queryset = selectors.incident_list(user=admin_user)
    ids = [incident.pk for incident in listed]
    orm = {row.pk: row for row in queryset.filter(pk__in=ids)}
    fast = rows_for_ids(queryset, ids)
    assert fast is not None
    request = api(admin_user).get("/api/v1/incidents/?page_size=200").wsgi_request
    context = {"request": request}
    for pk in ids:
        assert IncidentSerializer(fast[pk], context=context).data == (
            IncidentSerializer(orm[pk], context=context).data
        )


def test_values_come_through_the_database_converters(listed: list[Incident]) -> None:
    events = IncidentEvent.objects.filter(incident__in=listed).exclude(payload={})
    ids = list(events.values_list("pk", flat=True)[:20])
    assert ids
    fast = rows_by_id(IncidentEvent, ids)
    assert fast is not None
    for event in IncidentEvent.objects.filter(pk__in=ids):
        mine: Any = fast[event.pk]
        assert fields_of(mine) == fields_of(event)
        assert isinstance(mine.payload, dict) and mine.created_at.utcoffset() is not None


def test_ids_not_found_are_left_out_and_no_ids_read_nothing(listed: list[Incident]) -> None:
    missing = max(incident.pk for incident in listed) + 1000
    found = rows_by_id(Incident, [listed[0].pk, missing, listed[0].pk])
    assert found is not None and list(found) == [listed[0].pk]
    with CaptureQueriesContext(connection) as none:
        assert rows_by_id(Incident, []) == {}
    assert none.captured_queries == []


def test_shapes_it_does_not_read_go_through_the_orm(
    listed: list[Incident], admin_user: Any
) -> None:
    ids = [incident.pk for incident in listed]
    queryset = selectors.incident_list(user=admin_user)
    assert rows_for_ids(queryset.annotate(twice=F("priority") * 2), ids) is None
    assert rows_for_ids(queryset.only("title"), ids) is None
    assert rows_for_ids(queryset.select_related("team__lead"), ids) is None
    assert rows_for_ids(queryset.defer("team__description"), ids) is None
    assert rows_for_ids(queryset.values("pk"), ids) is None
    assert rows_by_id(Incident, ids, related=("events",)) is None  # one-to-many: not a join
    # a page of such a queryset reads its rows through the ORM, the same rows in the same order
    annotated = queryset.annotate(twice=F("priority") * 2).order_by("-pk")
    page = keyset_page(annotated, None, 5, ids_first=True)
    assert [row.pk for row in page.rows] == sorted(ids, reverse=True)[:5]
    assert all(row.twice == row.priority * 2 for row in page.rows)


def test_postgresql_plans_a_shape_once_per_connection(
    require_postgres: None, listed: list[Incident], settings: Any
) -> None:
    """The rows statement is prepared: planned on the connection's first executions, then run
    by its plan (its five joins cost ~1.2 ms of the server's time to plan on every request)."""

    def prepared() -> dict[str, tuple[int, int]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            )
            return {sql: (generic, custom) for sql, generic, custom in cursor.fetchall()}

    ids = [incident.pk for incident in listed]
    before = prepared()
    for _ in range(8):
        assert rows_by_id(Incident, ids, related=selectors.LIST_RELATED) is not None
    made = {sql: plans for sql, plans in prepared().items() if sql not in before}
    assert len(made) == 1
    ((statement, (generic, custom)),) = made.items()
    assert statement.startswith('SELECT "r0"."id"') and "= ANY($1)" in statement
    assert generic + custom == 8
    # behind a pooler that keeps no prepared statements it is turned off
    settings.DATABASE_PREPARE_ROWS = False
    again = prepared()
    assert rows_by_id(Incident, ids, related=("team",)) is not None
    assert prepared() == again
