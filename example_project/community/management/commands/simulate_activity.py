"""Create community activity through the real models, so through the real signal mappings."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fluent_webhooks.models import Event

from ...activity import STEPS, simulate


class Command(BaseCommand):
    help = f"Simulate community activity; --count {len(STEPS)} or more covers all 24 events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=len(STEPS), help="Steps to run.")
        parser.add_argument(
            "--seed", type=int, default=None, help="Random seed, for repeatable runs."
        )

    def handle(self, *args: Any, count: int, seed: int | None, **options: Any) -> None:
        if count < 1:
            self.stderr.write("--count must be at least 1.")
            return
        last_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        verbose = options["verbosity"] >= 1

        def progress(done: int, name: str) -> None:
            if verbose:
                self.stdout.write(f"[{done}/{count}] {name}")

        simulate(count, seed=seed, progress=progress)
        # Count what was really emitted, not what the steps meant to emit.
        emitted = Counter(Event.objects.filter(pk__gt=last_event).values_list("name", flat=True))
        total = f"Emitted {sum(emitted.values())} event(s)"
        if not verbose:  # one line, for the demo's terminal
            self.stdout.write(f"{total} of {len(emitted)} kinds.")
            return
        self.stdout.write(self.style.SUCCESS(f"{total}:"))
        for name, _ in STEPS:
            self.stdout.write(f"  {name:<22} {emitted.get(name, 0)}")
