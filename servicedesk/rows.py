"""Rows by id, read without the ORM's per-request work: ``rows_by_id`` and ``rows_for_ids``.

A list reads its page's ids first (``servicedesk.pagination.keyset_page``) and then those rows
with the related objects it shows, by id. Through the ORM that second read spent more than the
database did: at 1,000,000 incidents, for the API's 25 incidents with their team, service,
category, problem and SLA clocks, compiling the statement took ~8.7 M instructions (~3 ms),
building ~125 model instances through ``Model.__init__`` ~10 M, against ~2.6 M to run the same
SQL and fetch its rows; the people of those rows (``servicedesk.batching``) ~5.8 M more.

Here the statement of a *shape* (a model, the one-level relations it joins, the fields it leaves
out) is written once per process from the models' metadata, with the ids as one parameter, and
each row becomes its instances as ``Model.from_db`` would make them — the same attribute values
(through the same database converters), ``_state`` not adding and bound to the database, each
joined object cached on its row as ``select_related`` caches it — without running the generic
``__init__`` for every field. They are ordinary model instances: methods, properties and the
serializers work on them unchanged, and a field left out loads on access as a deferred field
does.

``rows_for_ids`` takes the list's queryset: it reads its joins (``select_related``), its
left-out fields (``defer``) and its batched relations (``batch_related``), and answers
``None`` for anything it does not reproduce (annotations, ``only()``, extra selects, nested
joins, a model with parents or with init signals), where the caller uses the ORM as before."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models
from django.db.models.base import ModelState
from django.db.models.query import ModelIterable
from django.db.models.signals import post_init, pre_init

from servicedesk.batching import fetch_batched

CHUNK = 900  # ids per statement on backends without array parameters (SQLite's variable cap)


@dataclass(frozen=True)
class _Part:
    """One model's columns in the row: ``row[start:end]`` are ``attnames``."""

    model: type[models.Model]
    attnames: tuple[str, ...]
    start: int
    end: int
    pk_index: int  # within the part
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]  # (index, funcs, col)
    local_setter: Callable[[Any, Any], None] | None  # on the root row: cache this object
    remote_setter: Callable[[Any, Any], None] | None  # on this object: cache the root row


@dataclass(frozen=True)
class _Shape:
    head: str  # the statement up to the id condition
    pk_column: str
    parts: tuple[_Part, ...]


def _columns(model: type[models.Model], skipped: frozenset[str]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if f.name not in skipped]


def _plain(model: type[models.Model]) -> bool:
    """A model whose instances ``from_db`` makes with nothing but its fields: no parents (the
    columns would span tables) and nobody listening to its init signals."""
    return not model._meta.parents and not (
        pre_init.has_listeners(model) or post_init.has_listeners(model)
    )


@cache
def _shape(
    model: type[models.Model], related: tuple[str, ...], skipped: frozenset[str], using: str
) -> _Shape | None:
    connection = connections[using]
    quote = connection.ops.quote_name
    opts = model._meta
    if not _plain(model):
        return None
    select: list[str] = []
    joins: list[str] = []
    parts: list[_Part] = []

    def add(
        part_model: type[models.Model],
        alias: str,
        fields: list[Any],
        local: Callable[[Any, Any], None] | None,
        remote: Callable[[Any, Any], None] | None,
    ) -> None:
        start = len(select)
        converters = []
        for i, field in enumerate(fields):
            select.append(f"{quote(alias)}.{quote(field.column)}")
            col = field.get_col(alias)
            funcs = (*connection.ops.get_db_converters(col), *col.get_db_converters(connection))
            if funcs:
                converters.append((i, tuple(funcs), col))
        attnames = tuple(f.attname for f in fields)
        parts.append(
            _Part(
                part_model,
                attnames,
                start,
                len(select),
                attnames.index(part_model._meta.pk.attname),
                tuple(converters),
                local,
                remote,
            )
        )

    add(model, "r0", _columns(model, skipped), None, None)
    for n, name in enumerate(related, start=1):
        try:
            field: Any = opts.get_field(name)
        except FieldDoesNotExist:  # the ORM reports it
            return None
        alias = f"r{n}"
        if field.concrete and (field.many_to_one or field.one_to_one):
            # a foreign key (or one-to-one) on the row: its column = the target's key
            link, target = field, field.remote_field.model
            ours, theirs = field.column, None
            remote = field.remote_field.set_cached_value if field.unique else None
        elif field.one_to_one and field.auto_created and not field.concrete:
            # a reverse one-to-one: the target's one-to-one column = the row's key
            link, target = field.field, field.related_model
            ours, theirs = None, field.field.column
            remote = field.field.set_cached_value
        else:
            return None
        if not _plain(target) or len(link.foreign_related_fields) != 1:
            return None
        keyed = link.foreign_related_fields[0].column
        joins.append(
            f"LEFT OUTER JOIN {quote(target._meta.db_table)} {quote(alias)} ON "
            f"({quote('r0')}.{quote(ours or keyed)} = {quote(alias)}.{quote(theirs or keyed)})"
        )
        add(target, alias, _columns(target, frozenset()), field.set_cached_value, remote)
    columns, table, joined = ", ".join(select), quote(opts.db_table), " ".join(joins)
    # names from the models' metadata, quoted; the ids are the one parameter
    head = f"SELECT {columns} FROM {table} {quote('r0')} {joined}"  # noqa: S608
    return _Shape(head, f"{quote('r0')}.{quote(opts.pk.column)}", tuple(parts))


def _build(part: _Part, values: Sequence[Any], db: str, connection: Any) -> models.Model:
    if part.converters:
        values = list(values)
        for i, funcs, col in part.converters:
            value = values[i]
            for func in funcs:
                value = func(value, col, connection)
            values[i] = value
    obj = part.model.__new__(part.model)
    obj.__dict__.update(zip(part.attnames, values, strict=True))
    state = obj._state = ModelState()
    state.adding = False
    state.db = db
    return obj


def _statements(shape: _Shape, ids: list[Any], vendor: str) -> Iterable[tuple[str, list[Any]]]:
    if vendor == "postgresql":
        yield f"{shape.head} WHERE {shape.pk_column} = ANY(%s)", [ids]
        return
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        yield f"{shape.head} WHERE {shape.pk_column} IN ({marks})", chunk


def _cursor(connection: Any) -> Any:
    """Django's cursor (its wrappers: errors, query logging, ``execute_wrapper``). On PostgreSQL,
    unless ``DATABASE_PREPARE_ROWS`` is off, over a cursor that prepares its statements: a
    shape's statement is the same text for every page, so the connection plans it once instead
    of on every request (the list's five joins: ~1.2 ms of the server's time each). Behind a
    pooler in transaction mode that does not keep prepared statements, turn it off."""
    wrapper = connection.cursor()
    if (
        connection.vendor == "postgresql"
        and getattr(settings, "DATABASE_PREPARE_ROWS", False)
        # while queries are logged (DEBUG, a test capturing them) the statement is sent as the
        # text they log: a prepared statement leaves psycopg no text for Django to log
        and not connection.queries_logged
    ):
        wrapper.cursor.close()
        wrapper.cursor = _preparing_cursor_class()(connection.connection)
    return wrapper


@cache
def _preparing_cursor_class() -> type:
    import psycopg

    class Preparing(psycopg.Cursor):
        """Server-side binding, every statement prepared (named, kept by the connection)."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return super().execute(query, params, prepare=True)

    return Preparing


def _read(shape: _Shape, ids: Iterable[Any], using: str) -> dict[Any, models.Model]:
    connection = connections[using]
    wanted = list(dict.fromkeys(ids))
    found: dict[Any, models.Model] = {}
    if not wanted:
        return found
    root, *joined = shape.parts
    with _cursor(connection) as cursor:
        for sql, params in _statements(shape, wanted, connection.vendor):
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                obj = _build(root, row[root.start : root.end], using, connection)
                for part in joined:
                    values = row[part.start : part.end]
                    rel = (
                        None
                        if values[part.pk_index] is None
                        else _build(part, values, using, connection)
                    )
                    assert part.local_setter is not None
                    part.local_setter(obj, rel)
                    if rel is not None and part.remote_setter is not None:
                        part.remote_setter(rel, obj)
                found[obj.pk] = obj
    return found


def rows_by_id(
    model: type[models.Model],
    ids: Iterable[Any],
    *,
    related: tuple[str, ...] = (),
    using: str = "default",
) -> dict[Any, models.Model] | None:
    """The rows of ``model`` with these primary keys, by key, with the one-level relations
    ``related`` joined and cached (as ``select_related``); ``None`` when the shape is not one
    this module reproduces. No manager's conditions apply (as ``_base_manager.in_bulk``)."""
    shape = _shape(model, tuple(related), frozenset(), using)
    return None if shape is None else _read(shape, ids, using)


def rows_for_ids(queryset: models.QuerySet[Any], ids: Sequence[Any]) -> dict[Any, Any] | None:
    """The rows of ``queryset``'s model with these ids (already chosen through ``queryset``,
    whose conditions are not applied again), loaded as ``queryset`` would load them — its
    joins, its deferred fields, its batched and prefetched relations — or ``None`` when its
    shape is not one this module reproduces."""
    query = queryset.query
    if (
        queryset._iterable_class is not ModelIterable
        or query.annotations
        or query.extra
        or query.extra_select
    ):
        return None
    names, defer = query.deferred_loading
    if not defer or any("__" in name for name in names):
        return None
    selected = query.select_related
    if selected is True:
        return None
    related: tuple[str, ...] = ()
    if selected:
        if any(nested for nested in selected.values()):
            return None
        related = tuple(selected)
    using = queryset.db
    model: type[models.Model] = queryset.model
    shape = _shape(model, related, frozenset(names), using)
    if shape is None:
        return None
    found = _read(shape, ids, using)
    rows = list(found.values())
    batched = getattr(queryset, "_batched", ())
    if batched:
        fetch_batched(rows, batched, using=using)
    lookups = queryset._prefetch_related_lookups  # type: ignore[attr-defined]
    if lookups:
        models.prefetch_related_objects(rows, *lookups)
    return found
