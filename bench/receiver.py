"""The receivers: nginx answering 204 and logging each arrival, and a black hole.

nginx costs next to nothing per request, so the figures measure the sender, not the receiver.
Its access log has one line per request: ``$msec`` (when the whole request had been read, in
seconds with millisecond resolution), the ``webhook-id`` header (the delivery id), the URI,
the status and the connection, written unbuffered so that a line is there once it happened.
"""

from __future__ import annotations

import os
import selectors
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

_CONFIG = """\
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    log_format arrivals '$msec $http_webhook_id $request_uri $status $connection';
    access_log {dir}/access.log arrivals;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        # Answers before reading the body, then discards it; the line is logged once the
        # whole body is in, and the connection is kept alive for the next request.
        location / {{ return 204; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ArrivalLog:
    """Reads nginx's access log as it grows: the first arrival time of each delivery id."""

    path: Path
    arrivals: dict[str, float] = field(default_factory=dict)
    unexpected: int = 0  # lines that are not a 204 to a request with a webhook-id
    connections: set[str] = field(default_factory=set)
    _offset: int = 0
    _rest: bytes = b""

    def mark(self) -> None:
        """Forget what was read: count arrivals from now on."""
        self.poll()
        self.arrivals, self.unexpected, self.connections = {}, 0, set()

    def poll(self) -> dict[str, float]:
        with self.path.open("rb") as log:
            log.seek(self._offset)
            chunk = log.read()
        self._offset += len(chunk)
        *lines, self._rest = (self._rest + chunk).split(b"\n")
        for line in lines:
            try:
                msec, delivery_id, _uri, status, connection = line.decode().split(" ")
            except ValueError:
                msec, delivery_id, status, connection = "0", "-", "", ""
            if status != "204" or delivery_id == "-":
                self.unexpected += 1
                continue
            self.arrivals.setdefault(delivery_id, float(msec))
            self.connections.add(connection)
        return self.arrivals

    def wait_for(self, count: int, timeout: float) -> bool:
        """Poll until ``count`` deliveries arrived; False if ``timeout`` seconds passed first."""
        deadline = time.monotonic() + timeout
        while len(self.poll()) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True


class Nginx:
    """nginx as a non-daemon child, with a generated configuration in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.log = ArrivalLog(directory / "access.log")
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def start(self) -> None:
        binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
        if binary is None:
            sys.exit("The benchmarks' receiver is nginx, which is missing: apt-get install nginx")
        user = "user root;" if os.geteuid() == 0 else ""  # as root, nginx needs to be told
        config = self.directory / "nginx.conf"
        config.write_text(_CONFIG.format(user=user, dir=self.directory, port=self.port))
        self.log.path.touch()
        command = [binary, "-p", str(self.directory), "-c", str(config), "-g", "daemon off;"]
        error_log = (self.directory / "nginx.out").open("wb")
        self._process = subprocess.Popen(command, stdout=error_log, stderr=subprocess.STDOUT)
        error_log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        output = (self.directory / "nginx.out").read_text(errors="replace")
        self.stop()
        sys.exit(f"nginx did not start:\n{output}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)


class BlackHole:
    """Accepts connections and reads what comes, but never answers: every attempt times out."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self._listener.setblocking(False)
        self.port = int(self._listener.getsockname()[1])
        self.accepted = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="black-hole", daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select(0.5):
                    sock: socket.socket = key.fileobj  # type: ignore[assignment]
                    if sock is self._listener:
                        self._accept(selector)
                    elif not _drained(sock):  # the sender gave up: let the socket go
                        selector.unregister(sock)
                        sock.close()
            for key in list(selector.get_map().values()):
                key.fileobj.close()  # type: ignore[union-attr]

    def _accept(self, selector: selectors.BaseSelector) -> None:
        try:
            connection, _ = self._listener.accept()
        except BlockingIOError:
            return
        connection.setblocking(False)
        selector.register(connection, selectors.EVENT_READ)
        self.accepted += 1


def _drained(sock: socket.socket) -> bool:
    """Read and drop what is there; False once the peer has closed."""
    try:
        return bool(sock.recv(65536))
    except BlockingIOError:
        return True
    except OSError:
        return False
