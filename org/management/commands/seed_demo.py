"""Load a realistic small organisation (and each app's demo data). Safe to run repeatedly."""

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from org import demo


class Command(BaseCommand):
    help = "Load idempotent demo data: organisation first, then each app's demo module."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            org = demo.seed()
        for config in apps.get_app_configs():
            if config.name == "org":
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                summary = module.seed(org)
            if summary:
                self.stdout.write(f"{config.verbose_name}: {summary}")
        if not options["quiet_logins"]:
            self.stdout.write(self.style.SUCCESS("\nDemo logins (password for all shown):"))
            for username, password, what in demo.logins():
                self.stdout.write(f"  {username:<9} {password}   {what}")
