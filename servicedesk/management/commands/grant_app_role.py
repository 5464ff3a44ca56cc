"""``manage.py grant_app_role [ROLE]``: after ``migrate``, as the owner role, give the
application's role its privileges (see ``servicedesk.db.grant_app_role``)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from servicedesk.db import grant_app_role


class Command(BaseCommand):
    help = "Grant the application's database role read/write, and append-only on event tables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", nargs="?", default=settings.DATABASE_APP_ROLE)

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if not role:
            raise CommandError("Name the role, or set DATABASE_APP_ROLE.")
        if connection.vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: there is no separate application role to grant.")
            return
        try:
            granted = grant_app_role(connection, role)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{role}: read/write on {len(granted['tables'])} tables, read/append only on "
            f"{', '.join(granted['event_tables'])}."
        )
