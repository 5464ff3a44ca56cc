"""Recompute the bypass ledger's hash chain; report the first broken entry (exit 1).

``--checkpoint`` prints LENGTH:HASH to keep somewhere else; ``--against LENGTH:HASH`` proves
that a saved checkpoint is still a prefix of the ledger."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bypass import ledger


class Command(BaseCommand):
    help = "Verify the bypass ledger's hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--checkpoint", action="store_true", help="Print LENGTH:HASH.")
        parser.add_argument("--against", metavar="LENGTH:HASH", help="A saved checkpoint.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["checkpoint"]:
            length, head = ledger.checkpoint()
            self.stdout.write(f"{length}:{head}")
            return
        against = None
        if options["against"]:
            try:
                against = ledger.parse_checkpoint(options["against"])
            except ValueError as exc:
                self.stderr.write(str(exc))
                sys.exit(2)
        result = ledger.verify(against=against)
        if result.ok:
            self.stdout.write(f"OK: {result.length} entries, head {result.head}")
            return
        self.stdout.write(
            f"BROKEN at entry {result.broken_seq}: {result.problem} "
            f"({result.length} entries verified before it)"
        )
        sys.exit(1)
