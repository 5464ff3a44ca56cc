"""Time stamps read from PostgreSQL by psycopg's C loader.

Django registers its own ``timestamptz`` loader on every psycopg 3 connection: a subclass of
psycopg's *pure-Python* loader (it parses each value with a regular expression, then replaces its
time zone with the connection's). With psycopg's C extension installed, the C loader parses the
same text in the time zone the session runs in, which Django sets at connect (``SET TIME ZONE
'UTC'`` with ``USE_TZ`` and no database ``TIME_ZONE``): the values are equal, the work is not
(a list of 25 incidents reads ~380 time stamps; ~1 ms a request in Python).

``use_c_loader`` (on ``connection_created``) swaps the loader only where both hold: the C
extension is there and the connection's time zone is UTC; anything else keeps Django's. The
class carries Django's ``timezone`` attribute, which Django compares on every new cursor to
decide whether to register its loader again."""

import datetime
import functools
from typing import Any


@functools.cache
def _c_loader() -> Any:
    """A loader class that Django accepts (a Python class with its ``timezone``) whose ``load``
    is, per instance, the C loader's: psycopg calls it straight from C for every value. None
    with a pure-Python psycopg (Django's loader stays)."""
    try:
        from psycopg_binary._psycopg import (  # type: ignore[attr-defined]
            TimestamptzLoader as CLoader,
        )
    except ImportError:
        return None
    from psycopg.types.datetime import TimestamptzLoader

    class UtcTimestamptzLoader(TimestamptzLoader):
        timezone = datetime.UTC

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self.load = CLoader(oid, context).load  # type: ignore[method-assign]

    return UtcTimestamptzLoader


def use_c_loader(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql" or connection.timezone is not datetime.UTC:
        return
    raw = connection.connection
    if raw.info.parameter_status("TimeZone") not in ("UTC", "Etc/UTC"):
        return
    loader = _c_loader()
    if loader is not None:
        raw.adapters.register_loader("timestamptz", loader)
