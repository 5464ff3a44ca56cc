"""Rebuild the metrics rollups: one day, a range, or every day with incidents."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from metrics import services
from metrics.models import RollupDay


class Command(BaseCommand):
    help = "Rebuild the metrics rollups (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--day", type=date.fromisoformat, help="One UTC day, YYYY-MM-DD.")
        parser.add_argument("--all", action="store_true", help="Every day with incidents.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["day"]:
            days = [options["day"]]
        elif options["all"]:
            total = services.rollup_rebuild_all()
            days_n = RollupDay.objects.count()
            self.stdout.write(f"Rebuilt {days_n} day(s), {total} incident fact(s) (set-wise).")
            return
        else:
            raise CommandError("Give --day YYYY-MM-DD or --all.")
        total = 0
        for day in days:
            total += services.rollup_rebuild_day(day=day)
        self.stdout.write(f"Rebuilt {len(days)} day(s), {total} incident fact(s).")
