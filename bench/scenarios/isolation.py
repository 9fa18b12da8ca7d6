"""isolation: does a receiver that never answers hold up healthy webhooks?

Events at 20 a second go to three webhooks: two at nginx, one at a black hole that accepts
connections and never answers, so each attempt there runs into the project's timeouts. For
the healthy two: commit to arrival, p50/p99, and how many of their deliveries had still not
arrived 30 s after the last event (those count as never in the percentiles).
"""

from __future__ import annotations

import time

from common import reset_state, worker_running
from report import Metric
from workload import (
    INF,
    Bench,
    add_webhooks,
    emit_paced,
    latencies,
    percentile,
    warm_up,
    where_time_goes,
)

RATE = 20.0
DEFAULT_DURATION = 180.0
GRACE = 30.0
METRICS = (
    Metric("p50", "healthy p50", "ms", 100.0, higher_is_better=False),
    Metric("p99", "healthy p99", "ms", 1000.0, higher_is_better=False),
    Metric("late", f"healthy not arrived +{GRACE:g} s", ""),
)


def run(bench: Bench) -> dict[str, float]:
    from fluent_webhooks.models import Attempt

    reset_state()
    healthy = add_webhooks([bench.receiver.url("isolation/a"), bench.receiver.url("isolation/b")])
    log = bench.receiver.log
    accepted = bench.black_hole.accepted
    with worker_running(bench.worker_log("isolation")):
        warm_up(bench, events=10, per_event=len(healthy))
        (dead,) = add_webhooks([bench.black_hole.url("isolation/dead")])
        log.mark()
        committed = emit_paced(RATE, bench.duration or DEFAULT_DURATION)
        cutoff = time.time() + GRACE
        log.wait_for(len(committed) * len(healthy), timeout=cutoff - time.time())
        dead_attempts = Attempt.objects.filter(delivery__webhook_id=dead).count()
    arrived = {key: at for key, at in log.poll().items() if at <= cutoff}
    values = latencies(committed, arrived, healthy)
    late = sum(value == INF for value in values)
    bench.say(
        f"{len(committed)} events; healthy: {len(values) - late} of {len(values)} arrived; "
        f"black hole: {dead_attempts} attempts recorded, "
        f"{bench.black_hole.accepted - accepted} connections accepted"
    )
    bench.say(f"  healthy: {where_time_goes(committed, arrived, healthy)}")
    return {
        "p50": percentile(values, 0.5) * 1000,
        "p99": percentile(values, 0.99) * 1000,
        "late": late,
    }
