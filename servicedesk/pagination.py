"""Lists page by cursor (keyset), never by OFFSET, so a deep page costs what the first does.

(Its own module: DRF imports it while ``rest_framework.generics`` loads, so it must not import
the views.)

The order is the queryset's own (the selector's, which honours ``ordering=``) with the primary
key as the final tie-breaker, so every position is unique. A cursor carries the sort values of
the row it stands after (``next``) or before (``previous``), and the page is read with
``WHERE (sort columns) > (those values) ORDER BY … LIMIT page_size + 1`` — an index range scan
when an index serves the order. The cursor is tied to its order: a cursor from another
``ordering=`` is refused with a 400.

The total: ``count`` is exact up to ``COUNT_LIMIT`` (1,000) and otherwise reads 1,000 with
``count_capped: true`` (pages show "1,000+"): the count stops at the limit instead of scanning
every matched row (``SELECT count(*) FROM (… LIMIT 1001)``).
"""

import base64
import binascii
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from uuid import UUID

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import ValidationFailed
from .rows import rows_for_ids

COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Key:
    """One column of the order: its lookup path, direction and whether it can be NULL (NULLs
    sort last going up and first going down, PostgreSQL's default, so a plain index serves)."""

    path: str
    descending: bool
    nullable: bool

    def flipped(self, reverse: bool) -> "Key":
        return Key(self.path, self.descending != reverse, self.nullable)

    def order_by(self) -> Any:
        if not self.nullable:
            return f"-{self.path}" if self.descending else self.path
        if self.descending:
            return F(self.path).desc(nulls_first=True)
        return F(self.path).asc(nulls_last=True)

    @property
    def label(self) -> str:
        return f"-{self.path}" if self.descending else self.path


def _nullable(model: type[Model], path: str) -> bool:
    opts = model._meta
    nullable = False
    parts = path.split("__")
    for i, part in enumerate(parts):
        try:
            field = opts.get_field("pk" if part == "pk" else part) if part != "pk" else opts.pk
        except FieldDoesNotExist:
            return True  # an annotation: assume it may be NULL
        assert field is not None
        nullable = nullable or bool(getattr(field, "null", False))
        if i < len(parts) - 1:
            related = getattr(field, "related_model", None)
            if related is None:
                return True
            opts = related._meta
    return nullable


def ordering_keys(queryset: QuerySet[Any]) -> list[Key]:
    """The queryset's order as keys, ending with the primary key (added when missing, in the
    direction of the last key, so one index can serve the whole order)."""
    query = queryset.query
    items: list[Any] = list(query.order_by) or (
        list(query.get_meta().ordering or []) if query.default_ordering else []
    )
    model = queryset.model
    pk_names = {"pk", "id", model._meta.pk.name, model._meta.pk.attname}
    keys: list[Key] = []
    for item in items:
        if isinstance(item, str):
            descending = item.startswith("-")
            path = item.lstrip("-")
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            descending = item.descending
            path = item.expression.name
        else:
            raise TypeError(f"cursor pagination cannot page by {item!r}")
        if path in pk_names:
            keys.append(Key("pk", descending, False))
            break  # the primary key is unique: nothing after it changes the order
        keys.append(Key(path, descending, _nullable(model, path)))
    else:
        keys.append(Key("pk", keys[-1].descending if keys else True, False))
    return keys


def _value(row: Any, path: str) -> Any:
    value = row
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
    return value


def _encode_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if isinstance(value, timedelta):
        return {"td": value.total_seconds()}
    if isinstance(value, UUID):
        return {"uuid": str(value)}
    if isinstance(value, Model):
        return value.pk
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _decode_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if tag == "dt" and isinstance(raw, str):
            return datetime.fromisoformat(raw)
        if tag == "d" and isinstance(raw, str):
            return date.fromisoformat(raw)
        if tag == "dec" and isinstance(raw, str):
            return Decimal(raw)
        if tag == "td" and isinstance(raw, (int, float)):
            return timedelta(seconds=raw)
        if tag == "uuid" and isinstance(raw, str):
            return UUID(raw)
    raise ValueError("not a cursor value")


def _after(keys: list[Key], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the order ``keys``."""
    if all(not k.nullable for k in keys) and len({k.descending for k in keys}) == 1:
        # one row comparison: an index range condition on PostgreSQL
        lookup = TupleLessThan if keys[0].descending else TupleGreaterThan
        return Q(lookup(Tuple(*(F(k.path) for k in keys)), tuple(values)))
    key, value = keys[0], values[0]
    rest = _after(keys[1:], values[1:]) if len(keys) > 1 else None
    if value is None:
        tie = Q(**{f"{key.path}__isnull": True})
        beyond = Q(**{f"{key.path}__isnull": False}) if key.descending else None
    else:
        tie = Q(**{key.path: value})
        beyond = Q(**{f"{key.path}__{'lt' if key.descending else 'gt'}": value})
        if key.nullable and not key.descending:
            beyond |= Q(**{f"{key.path}__isnull": True})
    condition = tie & rest if rest is not None else Q(pk__in=[])
    if beyond is not None:
        condition = beyond | condition
    if value is not None and not key.nullable:
        # the first column's bound alone lets an index scan start at the cursor
        bound = Q(**{f"{key.path}__{'lte' if key.descending else 'gte'}": value})
        condition = bound & condition
    return condition


@dataclass
class Cursor:
    order: list[str]  # the keys' labels: a cursor only fits the order it came from
    values: list[Any]
    reverse: bool  # True: the page before ``values``


def encode_cursor(cursor: Cursor) -> str:
    data = {
        "o": cursor.order,
        "v": [_encode_value(v) for v in cursor.values],
        "r": int(cursor.reverse),
    }
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, keys: list[Key]) -> Cursor:
    """The cursor in ``token``, or a 400 naming what is wrong with it."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        cursor = Cursor(
            order=[str(x) for x in data["o"]],
            values=[_decode_value(v) for v in data["v"]],
            reverse=bool(data.get("r")),
        )
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        raise ValidationFailed(
            "This cursor is not valid: follow the next or previous link of a list.",
            code="request.invalid_cursor",
            details={"cursor": ["Not a cursor."]},
        ) from None
    if cursor.order != [k.label for k in keys] or len(cursor.values) != len(keys):
        raise ValidationFailed(
            "This cursor belongs to another ordering or filter: start again from the first page.",
            code="request.invalid_cursor",
            details={"cursor": ["Made for another ordering."]},
        )
    return cursor


def _counted(queryset: QuerySet[Any], limit: int) -> tuple[QuerySet[Any], str | None]:
    """The bounded count's query, and a key naming it (its SQL and parameters; None when it
    can select nothing, e.g. ``team_id IN ()``)."""
    counted = queryset.order_by().values("pk")[: limit + 1]
    try:
        sql, params = counted.query.sql_with_params()
    except EmptyResultSet:
        return counted, None
    return counted, f"{sql}|{params!r}"


def bounded_count(queryset: QuerySet[Any], limit: int | None = None) -> tuple[int, bool]:
    """(rows, capped): exact up to ``limit`` (``COUNT_LIMIT``); past it ``(limit, True)``,
    having read at most ``limit + 1`` index entries instead of every matched row. A count
    already made of the very same rows (``remember_bounded_count``) is not made again."""
    limit = COUNT_LIMIT if limit is None else limit
    counted, key = _counted(queryset, limit)
    found = getattr(queryset, "known_counts", {}).get(key)
    if found is None:
        found = counted.count()
    return (limit, True) if found > limit else (found, False)


def remember_bounded_count(queryset: QuerySet[Any], limit: int, found: int) -> None:
    """Note on ``queryset`` (a ``BatchingQuerySet``: its clones keep the note) that at most
    ``limit + 1`` of its rows are ``found``: a search counts its matches to choose its order,
    and the page's total is then that count, not a second scan of the search index. The note
    is keyed by the count's SQL, so a filter added after it makes another count."""
    known = getattr(queryset, "known_counts", None)
    key = _counted(queryset, limit)[1] if known is not None else None
    if known is not None and key is not None:
        setattr(queryset, "known_counts", {**known, key: found})  # noqa: B010 - not on QuerySet


@dataclass
class KeysetPage:
    rows: list[Any]
    next: Cursor | None
    previous: Cursor | None


def keyset_page(
    queryset: QuerySet[Any], token: str | None, size: int, *, ids_first: bool = False
) -> KeysetPage:
    """One page of ``queryset`` at ``token`` (None: the first page): one query, or with
    ``ids_first`` two — the page's ids by the order alone (no joins, an index scan), then
    those rows with everything the list shows. Worth it when the list joins many tables:
    PostgreSQL plans a many-table join under ORDER BY … LIMIT far longer than it runs it."""
    keys = ordering_keys(queryset)
    cursor = decode_cursor(token, keys) if token else None
    reverse = bool(cursor and cursor.reverse)
    walk = [k.flipped(reverse) for k in keys]
    qs = queryset.order_by(*(k.order_by() for k in walk))
    if cursor is not None:
        qs = qs.filter(_after(walk, cursor.values))
    if ids_first:
        ids = list(
            qs.select_related(None).prefetch_related(None).values_list("pk", flat=True)[: size + 1]
        )
        by_pk = rows_for_ids(queryset, ids[:size])
        if by_pk is None:  # a shape servicedesk.rows does not read: through the ORM
            by_pk = {row.pk: row for row in queryset.order_by().filter(pk__in=ids[:size])}
        rows = [by_pk[pk] for pk in ids[:size] if pk in by_pk] + ids[size:]
    else:
        rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
    order = [k.label for k in keys]

    def at(row: Any, backwards: bool) -> Cursor:
        return Cursor(order, [_value(row, k.path) for k in keys], backwards)

    if not rows:
        return KeysetPage(rows, None, None)
    has_next = more if not reverse else True
    has_previous = (cursor is not None) if not reverse else more
    return KeysetPage(
        rows,
        at(rows[-1], False) if has_next else None,
        at(rows[0], True) if has_previous else None,
    )


def _with_param(url: str, name: str, value: str | None, drop: tuple[str, ...] = ()) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query = [(k, v) for k, v in query if k not in drop]
    if value is not None:
        query.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


class Pagination(CursorPagination):
    """Every API list: ``cursor=`` keyset pages (see the module docstring)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> list[Any] | None:
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request) or 25
        token = request.query_params.get(self.cursor_query_param) or None
        if not isinstance(queryset, QuerySet):
            return self._paginate_list(list(queryset), token)
        if not queryset.ordered:
            queryset = queryset.order_by(self.ordering)
        self.count, self.count_capped = bounded_count(queryset)
        # views whose list joins many tables ask for it (not their sub-lists, e.g. events)
        ids_first = bool(getattr(view, "paginate_ids_first", False)) and (
            getattr(view, "action", "list") == "list"
        )
        page = keyset_page(queryset, token, self.page_size, ids_first=ids_first)
        self.next_token = encode_cursor(page.next) if page.next else None
        self.previous_token = encode_cursor(page.previous) if page.previous else None
        return page.rows

    def _paginate_list(self, rows: list[Any], token: str | None) -> list[Any]:
        """A list already in memory (small by construction): the cursor is a position."""
        start = 0
        if token:
            try:
                start = int(
                    json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["i"]
                )
            except (binascii.Error, ValueError, TypeError, KeyError):
                raise ValidationFailed(
                    "This cursor is not valid: follow the next or previous link of a list.",
                    code="request.invalid_cursor",
                    details={"cursor": ["Not a cursor."]},
                ) from None
            start = max(0, start)

        def token_at(i: int) -> str:
            raw = json.dumps({"i": i}, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        self.count, self.count_capped = min(len(rows), COUNT_LIMIT), len(rows) > COUNT_LIMIT
        end = start + self.page_size
        self.next_token = token_at(end) if end < len(rows) else None
        self.previous_token = token_at(max(0, start - self.page_size)) if start > 0 else None
        return rows[start:end]

    def get_next_link(self) -> str | None:
        if self.next_token is None:
            return None
        return _with_param(self.base_url or "", self.cursor_query_param, self.next_token)

    def get_previous_link(self) -> str | None:
        if self.previous_token is None:
            return None
        return _with_param(self.base_url or "", self.cursor_query_param, self.previous_token)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            OrderedDict(
                [
                    ("count", self.count),
                    ("count_capped", self.count_capped),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "count_capped", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "example": 123,
                    "description": f"Matching rows, exact up to {COUNT_LIMIT:,}; past that it "
                    f"reads {COUNT_LIMIT:,} and count_capped is true.",
                },
                "count_capped": {
                    "type": "boolean",
                    "description": f"True when more than {COUNT_LIMIT:,} rows match.",
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "http://api.example.org/accounts/?cursor=eyJvIjpbIi1wayJd",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "http://api.example.org/accounts/?cursor=eyJvIjpbIi1wayJd",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.cursor_query_param:
                param["description"] = (
                    "Where the page starts: the cursor in a list's next or previous link."
                )
        return params
