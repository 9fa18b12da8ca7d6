"""Delete delivery records older than the retention period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fluent_webhooks.backlog import prune


class Command(BaseCommand):
    help = "Delete finished events, deliveries and attempts older than RETENTION_DAYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, help="Keep this many days instead of RETENTION_DAYS."
        )

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        pruned = prune(days)
        self.stdout.write(
            f"Deleted {pruned.events} event(s), {pruned.deliveries} delivery(ies) "
            f"and {pruned.attempts} attempt(s)."
        )
