"""fanout: one event to many webhooks (default 1,000), the worker already running and warm.

Time from the event's commit to its last (and first) delivery's arrival at nginx. Two
warm-up events, each sent to every webhook, come first.
"""

from __future__ import annotations

from common import reset_state, worker_running
from report import Metric
from workload import Bench, add_webhooks, emit_many, latencies, warm_up, where_time_goes

TIMEOUT = 120.0
METRICS = (
    Metric("last", "commit -> last arrival", "s", 1.5, higher_is_better=False),
    Metric("first", "commit -> first arrival", "s"),
)


def run(bench: Bench) -> dict[str, float]:
    reset_state()
    count = bench.webhooks
    webhooks = add_webhooks(bench.receiver.url(f"fanout/{number}") for number in range(count))
    log = bench.receiver.log
    with worker_running(bench.worker_log("fanout")):
        for _ in range(2):
            warm_up(bench, events=1, per_event=count)
        log.mark()
        committed = emit_many(1)
        if not log.wait_for(count, TIMEOUT):
            bench.say(f"INCOMPLETE: {len(log.arrivals)} of {count} within {TIMEOUT:g} s")
    values = latencies(committed, log.arrivals, webhooks)
    bench.say(f"{len(log.arrivals)} of {count} arrived, {len(log.connections)} connections")
    bench.say(f"  {where_time_goes(committed, log.arrivals, webhooks)}")
    return {"last": max(values), "first": min(values)}
