"""Deliveries per second through one Celery worker node to a fast local receiver.

Emits EVENTS events to one subscribed webhook, then starts a real worker process on the Redis
broker and PostgreSQL, and measures, from the attempt records, the span from the first attempt's
start to the last one's end.
"""

from __future__ import annotations

import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

from common import drop_database, setup_django, start_worker

EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))
CONCURRENCY = os.environ.get("BENCH_CONCURRENCY", "8")


class FastServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # socketserver's default backlog of 5 refuses bursts of connections


class FastReceiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    setup_django()
    from django.db import transaction
    from django.db.models import Max, Min

    from fluent_webhooks.models import Attempt, Delivery, Webhook
    from fluent_webhooks.outbox import send_event

    server = FastServer(("127.0.0.1", 0), FastReceiver)
    Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    Webhook.objects.create(name="bench", url=f"http://127.0.0.1:{port}/", events=["*"])

    started = time.perf_counter()
    for number in range(EVENTS):
        with transaction.atomic():
            send_event("feed.created", {"id": number, "title": "benchmark"})
    emitted = time.perf_counter() - started

    worker = start_worker(CONCURRENCY)
    try:
        while Delivery.objects.filter(status="succeeded").count() < EVENTS:
            if time.perf_counter() - started > 600:
                sys.exit("timed out")
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(30)
        server.shutdown()
    span = Attempt.objects.aggregate(first=Min("started_at"), last=Max("started_at"))
    elapsed = (span["last"] - span["first"]).total_seconds()
    print(f"{EVENTS} events emitted in {emitted:.1f} s ({emitted * 1000 / EVENTS:.2f} ms each)")
    print(f"worker concurrency {CONCURRENCY} (prefork), 2 cores shared with PostgreSQL,")
    print(f"Redis and the receiver: {EVENTS} deliveries in {elapsed:.1f} s")
    print(f"throughput: {EVENTS / elapsed:.0f} deliveries/s")
    failed = Attempt.objects.filter(succeeded=False).count()
    print(f"failed attempts (retried): {failed}")
    drop_database()


if __name__ == "__main__":
    main()
