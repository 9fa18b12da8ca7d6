"""Does a slow endpoint hold back deliveries to a healthy one?

Events arrive at RATE a second while one worker node runs. Two webhooks receive them: one
answers at once, the other after SLOW seconds. Reported: how long the healthy webhook waits
for its deliveries (attempt start minus event time), alone and beside the slow one.
"""

from __future__ import annotations

import os
import time
from http.server import BaseHTTPRequestHandler
from threading import Thread

from common import drop_database, setup_django, start_worker
from throughput import FastServer

EVENTS = int(os.environ.get("BENCH_EVENTS", "500"))
RATE = float(os.environ.get("BENCH_RATE", "100"))
CONCURRENCY = os.environ.get("BENCH_CONCURRENCY", "4")
SLOW = float(os.environ.get("BENCH_SLOW", "2.0"))


def handler(delay: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(delay)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def run(with_slow: bool) -> tuple[float, float, float]:
    from django.db import transaction

    from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
    from fluent_webhooks.outbox import send_event

    Event.objects.all().delete()
    Webhook.objects.all().delete()
    servers = {"fast": FastServer(("127.0.0.1", 0), handler(0))}
    if with_slow:
        servers["slow"] = FastServer(("127.0.0.1", 0), handler(SLOW))
    for name, server in servers.items():
        Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        Webhook.objects.create(name=name, url=url, events=["*"])
    worker = start_worker(CONCURRENCY)
    try:
        time.sleep(4)  # let the worker connect
        started = time.monotonic()
        for number in range(EVENTS):
            time.sleep(max(0.0, started + number / RATE - time.monotonic()))
            with transaction.atomic():
                send_event("feed.created", {"id": number})
        fast = Delivery.objects.filter(webhook__name="fast", status="succeeded")
        deadline = time.monotonic() + 600
        while fast.count() < EVENTS and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(60)
        for server in servers.values():
            server.shutdown()
    waits = sorted(
        (attempt.started_at - attempt.delivery.event.created_at).total_seconds()
        for attempt in Attempt.objects.filter(delivery__webhook__name="fast").select_related(
            "delivery__event"
        )
    )
    return waits[len(waits) // 2], waits[int(len(waits) * 0.95)], waits[-1]


def main() -> None:
    setup_django()
    alone = run(with_slow=False)
    beside_slow = run(with_slow=True)
    print(f"{EVENTS} events at {RATE:g}/s, worker concurrency {CONCURRENCY};")
    print("the fast webhook's wait for its deliveries (median / p95 / max, seconds):")
    print("  alone:                  {:.2f} / {:.2f} / {:.2f}".format(*alone))
    print(f"  beside one taking {SLOW:g} s: " + "{:.2f} / {:.2f} / {:.2f}".format(*beside_slow))
    drop_database()


if __name__ == "__main__":
    main()
