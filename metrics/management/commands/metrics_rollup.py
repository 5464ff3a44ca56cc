"""Rebuild the metrics rollups: one day, a range, or every day with incidents."""

from datetime import UTC, date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min

from incidents.models import Incident
from metrics import services


class Command(BaseCommand):
    help = "Rebuild the metrics rollups (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--day", type=date.fromisoformat, help="One UTC day, YYYY-MM-DD.")
        parser.add_argument("--all", action="store_true", help="Every day with incidents.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["day"]:
            days = [options["day"]]
        elif options["all"]:
            bounds = Incident.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
            if bounds["first"] is None:
                days = []
            else:
                first = bounds["first"].astimezone(UTC).date()
                last = bounds["last"].astimezone(UTC).date()
                days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        else:
            raise CommandError("Give --day YYYY-MM-DD or --all.")
        total = 0
        for day in days:
            total += services.rollup_rebuild_day(day=day)
        self.stdout.write(f"Rebuilt {len(days)} day(s), {total} incident fact(s).")
