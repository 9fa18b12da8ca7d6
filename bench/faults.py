"""How delivery recovers from faults: a killed worker, a broker restarted or flushed, a
database restarted.

Starts a PostgreSQL cluster and a Redis server of its own, a Celery worker and beat of the
example project, and a receiver on loopback behind two webhooks subscribed to every event.
Emits events at a steady rate while it injects the faults one after another, a few seconds
apart; then waits until every owed delivery (events emitted x 2 webhooks) has arrived at least
once. Reports what was lost, what arrived twice, and when the last owed delivery arrived
after the last fault ended. Exits 1 if anything was lost.

    .venv/bin/python bench/faults.py                       # 2,000 events over 40 s
    .venv/bin/python bench/faults.py --events 200 --rate 20 --faults kill,flushall
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ALL_FAULTS = "kill,redis-restart,flushall,pg-restart"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="events a second")
    parser.add_argument("--faults", default=ALL_FAULTS, help=f"in order; default {ALL_FAULTS}")
    parser.add_argument("--spacing", type=float, help="seconds between fault starts")
    parser.add_argument("--outage", type=float, default=2.0, help="seconds a service is down")
    parser.add_argument(
        "--wait", type=float, default=600.0, help="seconds to wait for deliveries after it all"
    )
    parser.add_argument("--concurrency", type=int, default=4, help="worker processes")
    parser.add_argument("--sweep-interval", type=float, default=10.0, help="seconds")
    parser.add_argument(
        "--receiver-delay", type=float, default=0.1, help="seconds each answer takes"
    )
    parser.add_argument(
        "--no-supervise",
        dest="supervise",
        action="store_false",
        help="leave a worker or beat that stops by itself stopped",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep-logs", type=Path, help="copy logs and records to this folder")
    args = parser.parse_args(argv)
    args.faults = tuple(name for name in args.faults.split(",") if name)
    unknown = set(args.faults) - set(ALL_FAULTS.split(","))
    if unknown:
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    from faultbench.run import Options, run
    from faultbench.services import missing_services

    missing = missing_services()
    if missing:
        print(f"cannot run: {missing}", file=sys.stderr)
        return 2
    # Stop cleanly on Ctrl-C even where the starting shell ignored SIGINT, and on kill.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    options = Options(
        events=args.events,
        rate=args.rate,
        faults=args.faults,
        spacing=args.spacing,
        outage=args.outage,
        wait=args.wait,
        concurrency=args.concurrency,
        sweep_interval=args.sweep_interval,
        receiver_delay=args.receiver_delay,
        supervise=args.supervise,
        keep_logs=args.keep_logs,
    )
    try:
        report = run(options)
    except KeyboardInterrupt:
        print("interrupted; every process and temporary folder is cleaned up", file=sys.stderr)
        return 130
    print(report.render())
    if args.json:
        args.json.write_text(json.dumps(report.as_json(), indent=2))
    return 1 if report.lost else 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
