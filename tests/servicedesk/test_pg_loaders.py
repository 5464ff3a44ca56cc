"""Time stamps from PostgreSQL are parsed by psycopg's C loader, not by Django's pure-Python one
(servicedesk.pg_loaders): the same values, aware, in UTC."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from django.db import connection
from psycopg.pq import Format

TIMESTAMPTZ = 1184


def test_time_stamps_are_read_by_the_c_loader(require_postgres: Any) -> None:
    from servicedesk.pg_loaders import _c_loader

    written = datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC)
    with connection.cursor() as cursor:
        # on the connection, and not registered again on each new cursor by Django (it compares
        # the loader's time zone with the connection's)
        assert connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is _c_loader()
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is _c_loader()
        cursor.execute(
            "SELECT %s::timestamptz, '2026-03-29 03:30:00.5+02'::timestamptz, "
            "'9999-12-31 00:00:00+00'::timestamptz, '1900-01-01 00:00:00-05'::timestamptz, "
            "NULL::timestamptz",
            [written],
        )
        row = cursor.fetchone()
    assert row == (
        written,
        datetime(2026, 3, 29, 1, 30, 0, 500000, tzinfo=UTC),
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(1900, 1, 1, 5, tzinfo=UTC),
        None,
    )
    assert all(value.tzinfo is UTC for value in row[:4])


def test_a_model_reads_back_the_instant_it_wrote(require_postgres: Any, requester: Any) -> None:
    """Through the ORM: an instant written with an offset comes back the same instant, in UTC."""
    from org.models import User

    instant = datetime(2026, 10, 25, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    User.objects.filter(pk=requester.pk).update(away_until=instant)
    read = User.objects.values_list("away_until", flat=True).get(pk=requester.pk)
    assert read == instant and read.tzinfo is UTC
    assert read.isoformat() == "2026-10-25T00:30:00+00:00"
