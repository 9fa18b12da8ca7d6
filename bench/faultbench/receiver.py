"""A webhook receiver on loopback that records every request it gets and answers 204."""

from __future__ import annotations

import csv
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass(frozen=True)
class Arrival:
    """One request as the receiver saw it."""

    delivery_id: str  # the webhook-id header, which is the delivery's id
    path: str  # which webhook: each has a path of its own
    seq: int | None  # the emitter's number of the event, from the payload's data.id
    at: float  # time.monotonic() when it arrived


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # socketserver's default backlog of 5 refuses bursts

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a sender killed mid-request is one of the faults, not an error here


class RecordingReceiver:
    """Records ``Arrival``s; ``url(path)`` is where a webhook should point. Each answer
    takes ``delay`` seconds, as a real receiver's does, so that deliveries are in flight."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self._arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def start(self) -> RecordingReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def arrivals(self) -> list[Arrival]:
        with self._lock:
            return list(self._arrivals)

    def owed(self, emitted: int, webhooks: int) -> int:
        """Deliveries not yet arrived of ``emitted`` events to ``webhooks`` webhooks each."""
        arrived = {(a.seq, a.path) for a in self.arrivals() if a.seq is not None}
        return emitted * webhooks - len(arrived)

    def write_csv(self, path: Path, since: float) -> None:
        """Every arrival: seconds after ``since``, delivery id, path, event number."""
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["seconds", "delivery_id", "path", "seq"])
            for a in self.arrivals():
                writer.writerow([f"{a.at - since:.3f}", a.delivery_id, a.path, a.seq])

    def _record(self, arrival: Arrival) -> None:
        with self._lock:
            self._arrivals.append(arrival)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        record = self._record
        delay = self.delay

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                delivery_id = self.headers.get("webhook-id") or ""
                record(Arrival(delivery_id, self.path, _seq(body), time.monotonic()))
                if delay:
                    time.sleep(delay)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def _seq(body: bytes) -> int | None:
    try:
        seq = json.loads(body)["data"]["id"]
    except (ValueError, KeyError, TypeError):
        return None
    return seq if isinstance(seq, int) else None
