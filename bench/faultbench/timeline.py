"""What the database says is owed, every few seconds: where deliveries wait during recovery.

Reads only the documented state (design.md): ``Delivery.status`` and ``locked_until``, and
``Event.fanned_out_at``. A reading that fails (PostgreSQL is down) is skipped.
"""

from __future__ import annotations

import csv
import threading
import time
from contextlib import suppress
from pathlib import Path

COLUMNS = [
    "seconds",
    "events_not_fanned_out",
    "pending",
    "sending_locked",  # claimed, lock still running: sent now, or by a worker that died
    "sending_expired",  # claimed by a worker presumed dead: the sweeper's to hand out
    "succeeded",
    "failed",
]


class Timeline(threading.Thread):
    """Writes a row of ``COLUMNS`` to ``path`` every ``every`` seconds until ``stop()``."""

    def __init__(self, path: Path, since: float, every: float = 2.0) -> None:
        super().__init__(name="timeline", daemon=True)
        self.path = path
        self.since = since
        self.every = every
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()
        self.join(10)

    def run(self) -> None:
        from django.db import Error, connection

        with self.path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            while not self._stopped.wait(self.every):
                try:
                    writer.writerow([f"{time.monotonic() - self.since:.1f}", *_reading()])
                    out.flush()
                except Error:
                    with suppress(Exception):
                        connection.close()  # broken by a restart; the next reading reconnects
        with suppress(Exception):
            connection.close()


def _reading() -> list[int]:
    from django.db.models import Count, Q
    from django.utils import timezone

    from fluent_webhooks.models import Delivery, Event

    now = timezone.now()
    counts = Delivery.objects.aggregate(
        pending=Count("pk", filter=Q(status="pending")),
        sending_locked=Count("pk", filter=Q(status="sending", locked_until__gte=now)),
        sending_expired=Count("pk", filter=Q(status="sending", locked_until__lt=now)),
        succeeded=Count("pk", filter=Q(status="succeeded")),
        failed=Count("pk", filter=Q(status="failed")),
    )
    unfanned = Event.objects.filter(fanned_out_at__isnull=True).count()
    return [unfanned, *(counts[column] for column in COLUMNS[2:])]
