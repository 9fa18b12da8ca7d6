"""latency: a steady stream of events to one webhook; commit to arrival at nginx, per event.

One process emits at a fixed rate, each event in its own transaction, and notes the wall time
right at each commit; the arrival is nginx's ``$msec`` for that event's delivery. Run at 200
and at 50 events a second, each on a fresh worker warmed up with a few events first.
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

DEFAULT_DURATION = 30.0
DRAIN_TIMEOUT = 60.0  # after the last event; what has not arrived by then counts as never
RATES: tuple[tuple[float, float, float | None], ...] = ((200.0, 100.0, 500.0), (50.0, 30.0, None))
METRICS = tuple(
    metric
    for rate, p50, p99 in RATES
    for metric in (
        Metric(f"p50@{rate:g}", f"p50 at {rate:g}/s", "ms", p50, higher_is_better=False),
        Metric(f"p99@{rate:g}", f"p99 at {rate:g}/s", "ms", p99, higher_is_better=False),
    )
)


def run(bench: Bench) -> dict[str, float]:
    figures: dict[str, float] = {}
    for rate, _, _ in RATES:
        values = _measure(bench, rate, bench.duration or DEFAULT_DURATION)
        figures[f"p50@{rate:g}"] = percentile(values, 0.5) * 1000
        figures[f"p99@{rate:g}"] = percentile(values, 0.99) * 1000
    return figures


def _measure(bench: Bench, rate: float, duration: float) -> list[float]:
    reset_state()
    webhooks = add_webhooks([bench.receiver.url(f"latency/{rate:g}")])
    log = bench.receiver.log
    with worker_running(bench.worker_log(f"latency-{rate:g}")):
        warm_up(bench, events=10, per_event=1)
        log.mark()
        started = time.monotonic()
        committed = emit_paced(rate, duration)
        took = time.monotonic() - started
        log.wait_for(len(committed), DRAIN_TIMEOUT)
    values = latencies(committed, log.arrivals, webhooks)
    missing = sum(value == INF for value in values)
    bench.say(
        f"{rate:g}/s: {len(committed)} events emitted in {took:.1f} s "
        f"({len(committed) / took:.0f}/s), {missing} not arrived {DRAIN_TIMEOUT:g} s later"
    )
    bench.say(f"  {where_time_goes(committed, log.arrivals, webhooks)}")
    return values
