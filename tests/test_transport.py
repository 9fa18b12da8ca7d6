"""The HTTP sender: unit tests of the HTTP layer with ``responses``, the address guard for real."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses

from fluent_webhooks.delivery.decide import RetryLater, decide, failure_message, is_retryable
from fluent_webhooks.http import transport
from fluent_webhooks.http.transport import FailureKind, parse_retry_after

URL = "https://hooks.example.com/hook"


@responses.activate
def test_success_with_the_given_body_and_headers():
    responses.post(URL, status=204)
    result = transport.post(URL, b'{"a":1}', {"X-Test": "1"})
    assert result.ok
    assert result.status_code == 204
    assert result.failure is None
    (call,) = responses.calls
    assert call.request.body == b'{"a":1}'
    assert call.request.headers["X-Test"] == "1"


@responses.activate
def test_response_body_is_read_only_up_to_the_limit(settings):
    settings.FLUENT_WEBHOOKS = {"RESPONSE_BODY_LIMIT": 10}
    responses.post(URL, status=500, body=b"x" * 100_000)
    result = transport.post(URL, b"{}", {})
    assert not result.ok
    assert result.body_excerpt == "x" * 10


@responses.activate
@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (requests.exceptions.ConnectTimeout(), FailureKind.TIMEOUT),
        (requests.exceptions.ReadTimeout(), FailureKind.TIMEOUT),
        (requests.exceptions.ConnectionError("refused"), FailureKind.CONNECTION),
        (requests.exceptions.SSLError("bad cert"), FailureKind.TLS),
    ],
)
def test_failures_are_classified_not_raised(error, kind):
    responses.post(URL, body=error)
    result = transport.post(URL, b"{}", {})
    assert result.failure is kind
    assert result.status_code is None
    assert not result.ok
    assert result.error


@responses.activate
def test_retry_after_is_read():
    responses.post(URL, status=429, headers={"Retry-After": "120"})
    assert transport.post(URL, b"{}", {}).retry_after == 120.0


def test_retry_after_as_http_date():
    later = datetime.now(UTC) + timedelta(seconds=90)
    seconds = parse_retry_after(format_datetime(later, usegmt=True))
    assert seconds is not None
    assert 80 <= seconds <= 90
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_one_session_per_thread_and_process():
    assert transport.get_session() is transport.get_session()
    session = transport.get_session()
    assert session.trust_env is False


class FakeResolver:
    """getaddrinfo answering with chosen addresses and counting calls."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        addresses = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]


def test_every_resolved_address_is_checked(monkeypatch, settings, receiver, caplog):
    """Where an internal name points goes to the server log, not to the user's message."""
    settings.FLUENT_WEBHOOKS = {"ALLOWED_NETWORKS": ["127.0.0.0/8"]}
    monkeypatch.setattr(transport.socket, "getaddrinfo", FakeResolver(["127.0.0.1", "10.0.0.7"]))
    with caplog.at_level("WARNING", logger="fluent_webhooks"):
        result = transport.post(f"http://hooks.test:{receiver.port}/x", b"{}", {})
    assert result.failure is FailureKind.BLOCKED
    assert result.error == (
        "hooks.test resolves to a non-public address, outside FLUENT_WEBHOOKS['ALLOWED_NETWORKS']."
    )
    assert "10.0.0.7" not in failure_message(result)
    assert "127.0.0.1" not in failure_message(result)
    assert any("10.0.0.7 is a private address" in r.getMessage() for r in caplog.records)
    assert receiver.requests == []


def test_connects_to_the_address_it_checked(monkeypatch, settings, receiver):
    """A second DNS answer (rebinding to a private address) is never asked for."""
    settings.FLUENT_WEBHOOKS = {"ALLOWED_NETWORKS": ["127.0.0.0/8"]}
    resolver = FakeResolver(["127.0.0.1"], ["10.0.0.7"])
    monkeypatch.setattr(transport.socket, "getaddrinfo", resolver)
    result = transport.post(f"http://rebind.test:{receiver.port}/x", b"{}", {})
    assert result.ok, result
    assert resolver.calls == 1
    (request,) = receiver.requests
    assert request.headers["Host"] == f"rebind.test:{receiver.port}"


def test_loopback_is_blocked_by_default(receiver):
    result = transport.post(receiver.url(), b"{}", {})
    assert result.failure is FailureKind.BLOCKED
    assert receiver.requests == []


def test_environment_proxies_are_ignored(monkeypatch, settings, receiver):
    settings.FLUENT_WEBHOOKS = {"ALLOWED_NETWORKS": ["127.0.0.0/8"]}
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    assert transport.post(receiver.url(), b"{}", {}).ok


def test_slow_receiver_times_out(settings, receiver):
    from tests.receiver import Reply

    settings.FLUENT_WEBHOOKS = {"ALLOWED_NETWORKS": ["127.0.0.0/8"], "READ_TIMEOUT": 0.2}
    receiver.reply = Reply(delay=1.0)
    result = transport.post(receiver.url(), b"{}", {})
    assert result.failure is FailureKind.TIMEOUT


def test_connect_to_reaches_another_address_and_still_checks_the_name(
    settings, https_receiver, ca_bundle
):
    """CONNECT_TO sends hooks.slack.com:443 to a receiver on this machine; TLS checks the
    certificate against hooks.slack.com, which this one is not for."""
    settings.FLUENT_WEBHOOKS = {
        "ALLOWED_NETWORKS": ["127.0.0.0/8"],
        "CA_BUNDLE": str(ca_bundle),
        "CONNECT_TO": {"hooks.slack.com:443": f"127.0.0.1:{https_receiver.port}"},
    }
    result = transport.post("https://hooks.slack.com/services/T/B/X", b"{}", {})
    assert result.failure == FailureKind.TLS  # the receiver's certificate is for localhost
    assert https_receiver.requests == []
    settings.FLUENT_WEBHOOKS = {**settings.FLUENT_WEBHOOKS, "ALLOWED_NETWORKS": []}
    blocked = transport.post("https://hooks.slack.com/services/T/B/X", b"{}", {})
    assert blocked.failure == FailureKind.BLOCKED  # the address guard sees the new address


# --- Hostile receivers on raw loopback sockets ---


class RawReceiver:
    """A TCP server on loopback whose every connection is handled by ``handle(conn, stop)``;
    ``stop`` is set when the test ends, so a handler that drips forever ends with it."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/hook"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the client gave up, as it should
            self.handle(conn, self.stop)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.fixture
def raw_receiver():
    servers: list[RawReceiver] = []

    def start(handle) -> RawReceiver:
        servers.append(RawReceiver(handle))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def read_request(conn: socket.socket) -> None:
    """Read one small request (headers and a body that arrives with them)."""
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk


def drip(conn: socket.socket, data: bytes, interval: float, stop: threading.Event) -> None:
    """Send ``data`` one byte every ``interval`` seconds, for at most 10 s."""
    ends = time.monotonic() + 10
    for byte in data:
        if stop.wait(interval) or time.monotonic() > ends:
            return
        conn.sendall(bytes([byte]))


DEADLINE_SETTINGS = {
    "ALLOWED_NETWORKS": ["127.0.0.0/8"],
    "CONNECT_TIMEOUT": 1,
    "READ_TIMEOUT": 1,
    "ATTEMPT_DEADLINE": 2,
}
MARGIN = 0.5


def timed_post(url: str) -> tuple[transport.HttpResult, float]:
    started = time.monotonic()
    result = transport.post(url, b"{}", {})
    return result, time.monotonic() - started


def assert_deadline_timeout(result: transport.HttpResult, elapsed: float) -> None:
    assert elapsed < DEADLINE_SETTINGS["ATTEMPT_DEADLINE"] + MARGIN, (elapsed, result)
    assert result.failure is FailureKind.TIMEOUT, result
    assert result.error == "No complete answer within 2 s."


def test_status_line_and_headers_sent_slowly_end_at_the_deadline(settings, raw_receiver):
    """Every byte within READ_TIMEOUT, so only the attempt deadline can stop it."""
    settings.FLUENT_WEBHOOKS = DEADLINE_SETTINGS

    def handle(conn, stop):
        read_request(conn)
        head = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 100 + b"\r\nContent-Length: 0\r\n\r\n"
        drip(conn, head, 0.3, stop)

    result, elapsed = timed_post(raw_receiver(handle).url())
    assert_deadline_timeout(result, elapsed)


def test_body_sent_one_byte_at_a_time_ends_at_the_deadline(settings, raw_receiver):
    settings.FLUENT_WEBHOOKS = DEADLINE_SETTINGS

    def handle(conn, stop):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n")
        drip(conn, b"x" * 4096, 0.5, stop)

    result, elapsed = timed_post(raw_receiver(handle).url())
    assert_deadline_timeout(result, elapsed)


def test_slow_tls_handshake_ends_at_the_deadline(settings, raw_receiver, https_receiver, ca_bundle):
    """A proxy relays a real TLS server's handshake to the sender one byte every 0.3 s.

    Python bounds a handshake by the socket's timeout, the connect timeout here; with one
    longer than the deadline (a slow network allowed for), the deadline must still hold."""
    settings.FLUENT_WEBHOOKS = {
        **DEADLINE_SETTINGS,
        "CONNECT_TIMEOUT": 10,
        "CA_BUNDLE": str(ca_bundle),
    }

    def handle(conn, stop):
        upstream = socket.create_connection(("127.0.0.1", https_receiver.port))
        with upstream:
            upstream.settimeout(5)
            conn.settimeout(5)
            # the sender speaks first (ClientHello); then the server's answer drips back
            upstream.sendall(conn.recv(65536))
            drip(conn, upstream.recv(65536), 0.3, stop)

    result, elapsed = timed_post(raw_receiver(handle).url("https"))
    assert_deadline_timeout(result, elapsed)
    assert https_receiver.requests == []


def test_a_connection_cut_by_the_deadline_is_not_reused(settings, raw_receiver, receiver):
    """After a timed-out attempt the next one to the same pool gets a working connection."""
    settings.FLUENT_WEBHOOKS = DEADLINE_SETTINGS
    served = []

    def handle(conn, stop):
        read_request(conn)
        if not served:
            served.append(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n")
            drip(conn, b"x" * 4096, 0.5, stop)
        else:
            conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
            stop.wait(3)

    server = raw_receiver(handle)
    assert timed_post(server.url())[0].failure is FailureKind.TIMEOUT
    result, elapsed = timed_post(server.url())
    assert result.ok, result
    assert elapsed < 1


def test_a_truncated_answer_is_a_connection_failure_and_retried(settings, raw_receiver):
    """Content-Length 100, then 10 bytes and the connection closes: a network failure."""
    settings.FLUENT_WEBHOOKS = {"ALLOWED_NETWORKS": ["127.0.0.0/8"]}

    def handle(conn, stop):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)

    result = transport.post(raw_receiver(handle).url(), b"{}", {})
    assert result.failure is FailureKind.CONNECTION, result
    assert is_retryable(result)
    outcome = decide(
        uuid.uuid4(),
        1,
        result,
        attempt_number=1,
        retry_count=3,
        may_retry=True,
        now=datetime.now(UTC),
    )
    assert isinstance(outcome, RetryLater)
