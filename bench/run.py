"""Run the delivery benchmarks side by side and print min/median/max over runs.

    python bench/run.py [scenario ...] [--runs 3] [--duration S]

Scenarios: bare, drain, latency, fanout, isolation (default: all), interleaved run by run so
that the machine's drift hits them alike. See bench/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import time
import traceback
from pathlib import Path

from common import BENCH_DATABASE, drop_database, setup_django
from receiver import BlackHole, Nginx
from report import Metric, table
from scenarios import Scenario, bare, drain, fanout, isolation, latency, memory
from workload import Bench

SCENARIOS: dict[str, Scenario] = {
    "bare": bare,
    "drain": drain,
    "latency": latency,
    "fanout": fanout,
    "isolation": isolation,
    "memory": memory,
}
RATIO = Metric("ratio", "drain/bare", "%", 0.15)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", metavar="scenario", help=", ".join(SCENARIOS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--duration", type=float, help="seconds of emitting for latency (30) and isolation (180)"
    )
    parser.add_argument("--events", type=int, default=5000, help="events of bare and drain")
    parser.add_argument("--webhooks", type=int, default=1000, help="webhooks of fanout")
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch directory and database"
    )
    args = parser.parse_args()
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(
            f"unknown scenario(s) {', '.join(sorted(unknown))}; pick from {', '.join(SCENARIOS)}"
        )
    return args


def main() -> None:
    args = parse_args()
    names = args.scenarios or list(SCENARIOS)
    setup_django()
    workdir = Path(tempfile.mkdtemp(prefix="fluent-bench-"))
    bench = Bench(
        workdir,
        Nginx(workdir),
        BlackHole(),
        events=args.events,
        webhooks=args.webhooks,
        duration=args.duration,
    )
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    bench.receiver.start()
    bench.black_hole.start()
    try:
        for run in range(1, args.runs + 1):
            for name in names:
                print(f"[run {run}/{args.runs}] {name}", flush=True)
                started = time.monotonic()
                try:
                    results[name].append(SCENARIOS[name].run(bench))
                except Exception:
                    traceback.print_exc()
                    results[name].append({})
                took = time.monotonic() - started
                load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
                print(f"    ({took:.0f} s; load average {load})", flush=True)
    finally:
        bench.black_hole.stop()
        bench.receiver.stop()
        if args.keep:
            print(f"kept: {workdir} and database {BENCH_DATABASE}")
        else:
            drop_database()
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(rows(results)))


def rows(results: dict[str, list[dict[str, float]]]) -> list[tuple[str, Metric, list[float]]]:
    found = []
    for name, runs in results.items():
        for metric in SCENARIOS[name].METRICS:
            found.append((name, metric, [figures.get(metric.key, math.nan) for figures in runs]))
        if name == "drain" and "bare" in results:
            ratios = [
                project.get("rate", math.nan) / floor.get("rate", math.nan)
                for project, floor in zip(runs, results["bare"], strict=True)
            ]
            found.append((name, RATIO, ratios))
    return found


if __name__ == "__main__":
    main()
