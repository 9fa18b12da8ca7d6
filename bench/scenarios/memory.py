"""memory: does a worker process grow while it delivers? 50,000 deliveries, ``DEBUG=false``.

The events are emitted with no worker running; then the README's plain worker drains them.
The resident memory (RSS) of its pool processes is read from ``/proc`` once 10% have
arrived (warm: connections, pools and caches exist) and again at the end; the figure is the
growth between the two, summed over the processes. Flat is the target: a leak shows as MB.
"""

from __future__ import annotations

import time
from pathlib import Path

from common import reset_state, start_worker, stop_worker, wait_until_ready
from report import Metric
from workload import Bench, add_webhooks, emit_many

EVENTS = 50_000
TIMEOUT = 600.0
METRICS = (
    Metric("growth", "RSS growth, 10% to 100%", "MB", target=5, higher_is_better=False),
    Metric("rss", "pool RSS at the end", "MB"),
)


def run(bench: Bench) -> dict[str, float]:
    reset_state()
    add_webhooks([bench.receiver.url("memory")])
    emit_many(EVENTS)
    log = bench.receiver.log
    log.mark()
    log_path = bench.worker_log("memory")
    worker = start_worker(None, loglevel="info", plain=True, log_path=log_path)
    try:
        wait_until_ready(worker, log_path, 60)
        pool = _children(worker.pid)
        log.wait_for(EVENTS // 10, TIMEOUT)
        warm = sum(_rss_mb(pid) for pid in pool)
        arrived = log.wait_for(EVENTS, TIMEOUT)
        time.sleep(0.5)  # the last batch's recording
        end = sum(_rss_mb(pid) for pid in pool)
    finally:
        stop_worker(worker)
    bench.say(
        f"{len(log.arrivals)} of {EVENTS} arrived{'' if arrived else ' (INCOMPLETE)'}; "
        f"{len(pool)} pool processes: {warm:.1f} MB warm, {end:.1f} MB at the end"
    )
    return {"growth": end - warm, "rss": end}


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
