"""What the scenarios share: their context, the events they emit, and how latencies are read.

Only the app's public names are used (``send_event``, the models), so the benchmarks keep
working while the internals move.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from receiver import BlackHole, Nginx

EVENT = "feed.created"
INF = math.inf


@dataclass
class Bench:
    """One invocation's receivers, sizes and scratch directory, handed to every scenario."""

    workdir: Path
    receiver: Nginx
    black_hole: BlackHole
    events: int = 5000
    webhooks: int = 1000
    duration: float | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    _logs: itertools.count[int] = field(default_factory=itertools.count)

    def worker_log(self, name: str) -> Path:
        return self.workdir / f"worker-{next(self._logs):02d}-{name}.log"

    def say(self, text: str) -> None:
        print(f"    {text}", flush=True)


def event_data(number: int) -> dict[str, Any]:
    """A feed post like the README's example payload."""
    return {
        "id": number,
        "user_id": 45,
        "title": f"Welcome to our community! ({number})",
        "message": "A first post, long enough to look like one people write in a community.",
        "space_id": 7,
        "created_at": "2024-01-15 10:30:00",
    }


def emit(number: int) -> tuple[int, float]:
    """Emit one event in its own transaction; its pk and the wall time right after commit."""
    from django.db import transaction

    from fluent_webhooks.outbox import send_event

    committed: list[float] = []
    with transaction.atomic():
        # Registered before send_event's own hand-off, so it runs first, right at commit.
        transaction.on_commit(lambda: committed.append(time.time()))
        event = send_event(EVENT, event_data(number))
    return event.pk, committed[0]


def emit_many(count: int) -> dict[int, float]:
    return dict(emit(number) for number in range(count))


def emit_paced(rate: float, duration: float) -> dict[int, float]:
    """Emit ``rate`` events a second for ``duration`` seconds, each on its schedule."""
    committed: dict[int, float] = {}
    started = time.monotonic()
    for number in range(round(rate * duration)):
        time.sleep(max(0.0, started + number / rate - time.monotonic()))
        pk, at = emit(number)
        committed[pk] = at
    return committed


def warm_up(bench: Bench, events: int, per_event: int, rate: float = 20.0) -> None:
    """Emit a few events and wait for all their deliveries: connections, pools, caches."""
    bench.receiver.log.mark()
    emit_paced(rate, events / rate)
    if not bench.receiver.log.wait_for(events * per_event, timeout=120):
        raise RuntimeError("the warm-up deliveries did not arrive within 120 s")


def add_webhooks(urls: Iterable[str]) -> list[int]:
    """Active webhooks subscribed to ``EVENT``, one per URL; their pks."""
    from fluent_webhooks.models import Webhook

    webhooks = [
        Webhook(name=f"bench-{number}", url=url, events=[EVENT]) for number, url in enumerate(urls)
    ]
    return [webhook.pk for webhook in Webhook.objects.bulk_create(webhooks)]


def arrivals_by_pair(arrivals: dict[str, float]) -> dict[tuple[int, int], float]:
    """Arrival times keyed by (event pk, webhook pk), through the delivery records."""
    from fluent_webhooks.models import Delivery

    pairs = Delivery.objects.filter(pk__in=list(arrivals)).values_list(
        "pk", "event_id", "webhook_id"
    )
    return {(event, webhook): arrivals[str(pk)] for pk, event, webhook in pairs}


def latencies(
    committed: dict[int, float], arrivals: dict[str, float], webhooks: Iterable[int]
) -> list[float]:
    """Commit to arrival, in seconds, of each event at each webhook; INF if it never came."""
    arrived = arrivals_by_pair(arrivals)
    return [
        arrived.get((event, webhook), INF) - at
        for event, at in committed.items()
        for webhook in webhooks
    ]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def where_time_goes(
    committed: dict[int, float], arrivals: dict[str, float], webhooks: Iterable[int]
) -> str:
    """p50/p99 of each leg: commit to fan-out, fan-out to first attempt, attempt to arrival."""
    from fluent_webhooks.models import Attempt

    legs: tuple[list[float], list[float], list[float]] = ([], [], [])
    attempts = Attempt.objects.filter(
        delivery__event_id__in=list(committed), delivery__webhook_id__in=list(webhooks), number=1
    )
    rows = attempts.values_list(
        "delivery_id", "delivery__event_id", "delivery__created_at", "started_at"
    )
    for delivery_id, event_id, fanned_out, started in rows:
        legs[0].append(fanned_out.timestamp() - committed[event_id])
        legs[1].append((started - fanned_out).total_seconds())
        if str(delivery_id) in arrivals:
            legs[2].append(arrivals[str(delivery_id)] - started.timestamp())
    names = ("commit->fan-out", "fan-out->attempt", "attempt->arrival")
    return (
        "; ".join(
            f"{name} {ms(percentile(leg, 0.5))}/{ms(percentile(leg, 0.99))}"
            for name, leg in zip(names, legs, strict=True)
        )
        + " (p50/p99)"
    )


def ms(seconds: float) -> str:
    return "inf" if seconds == INF else f"{seconds * 1000:.0f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan
