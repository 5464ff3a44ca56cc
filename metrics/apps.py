"""Read-only customer outcomes and SLA figures: rollups, dashboards, exports."""

from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        from .expressions import register_sqlite_functions

        register_sqlite_functions(connection)


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self) -> None:
        connection_created.connect(_on_connection, dispatch_uid="metrics-sqlite-functions")
