"""drain: a backlog of events for one webhook, sent by the README's plain worker.

The events are emitted (each in its own transaction, as in production) while no worker runs;
then the worker starts with its default concurrency. Deliveries/s: from the worker's
``<hostname> ready.`` log line to the last arrival at nginx.
"""

from __future__ import annotations

import time

from common import reset_state, worker_running
from report import Metric
from workload import Bench, add_webhooks, emit_many

TIMEOUT = 300.0
METRICS = (Metric("rate", "deliveries/s", "/s", target=1500),)


def run(bench: Bench) -> dict[str, float]:
    from fluent_webhooks.models import Attempt

    reset_state()
    add_webhooks([bench.receiver.url("drain")])
    started = time.monotonic()
    emit_many(bench.events)
    bench.say(f"{bench.events} events emitted in {time.monotonic() - started:.1f} s, no worker")
    log = bench.receiver.log
    log.mark()
    with worker_running(bench.worker_log("drain")) as ready:
        if not log.wait_for(bench.events, TIMEOUT):
            bench.say(f"INCOMPLETE: {len(log.arrivals)} of {bench.events} within {TIMEOUT:g} s")
    if not log.arrivals:
        raise RuntimeError("nothing arrived")
    first, last = min(log.arrivals.values()), max(log.arrivals.values())
    failed = Attempt.objects.filter(succeeded=False).count()
    bench.say(
        f"{len(log.arrivals)} deliveries: first {first - ready:+.2f} s after ready, "
        f"last {last - ready:.2f} s ({len(log.arrivals) / (last - first):.0f}/s in between); "
        f"{len(log.connections)} connections; "
        f"{failed} failed attempts"
    )
    return {"rate": len(log.arrivals) / (last - ready)}
