"""Hand out to Celery every fan-out and delivery the database says is owed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from fluent_webhooks.dispatch.sweep import sweep


class Command(BaseCommand):
    help = (
        "Hand out owed work: events whose fan-out never reached the broker, retries that are "
        "due, and deliveries a lost message or a dead worker left behind."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        handed = sweep()
        self.stdout.write(
            f"Handed out {handed['events']} event(s) and {handed['deliveries']} delivery(ies)."
        )
