"""The HTTP sender: one pooled session per process, timeouts, capped reads, address guard.

Every new connection resolves the host, refuses it if any address it resolves to is not
public (unless inside ``ALLOWED_NETWORKS``), and then connects to those very addresses, so
a DNS answer that changes between check and connect cannot reach an internal host. TLS still
verifies the certificate against the host name. Redirects are never followed; environment
proxies and cookies are ignored so nothing leaks from one webhook to another. Each attempt
ends by ATTEMPT_DEADLINE however slowly the receiver connects, shakes hands or answers: a
watchdog shuts its sockets down at that moment.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import ipaddress
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
)
from urllib3.util.connection import allowed_gai_family

from ..conf import conf
from ..exceptions import DestinationBlocked
from .addresses import forbidden_reason

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

logger = logging.getLogger(__name__)


class FailureKind(StrEnum):
    BLOCKED = "blocked"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    TLS = "tls"
    INVALID = "invalid"


@dataclass(frozen=True)
class HttpResult:
    """What came of one POST: a status code, or the failure that prevented one."""

    status_code: int | None
    duration_ms: int
    body_excerpt: str = ""
    retry_after: float | None = None
    location: str | None = None
    failure: FailureKind | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.failure is None and self.status_code is not None and 200 <= self.status_code < 300
        )


class _GuardedConnectionMixin:
    """Resolve, check every address, then connect only to the addresses checked."""

    host: str
    _dns_host: str
    port: int
    timeout: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        host, port = _connect_to(self._dns_host.strip("[]"), self.port)
        try:
            candidates = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]
        allowed = conf.allowed_networks
        for *_, sockaddr in candidates:
            reason = forbidden_reason(ipaddress.ip_address(sockaddr[0]), allowed)
            if reason is not None:
                # The address stays in the server's log: told to whoever set the URL, it
                # would map internal names for them.
                logger.warning("Blocked a webhook to %s: it resolves to %s.", self.host, reason)
                raise DestinationBlocked(
                    f"{self.host} resolves to a non-public address, outside "
                    "FLUENT_WEBHOOKS['ALLOWED_NETWORKS']."
                )
        last_error: Exception | None = None
        for family, socktype, proto, _, sockaddr in candidates:
            if _deadline_passed():
                break  # the next address would get a fresh connect timeout past it
            sock = socket.socket(family, socktype, proto)
            _watch(sock)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if isinstance(self.timeout, int | float):
                    sock.settimeout(self.timeout)
                sock.connect(sockaddr)
                return sock
            except TimeoutError as error:
                sock.close()
                last_error = ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                )
                last_error.__cause__ = error
            except OSError as error:
                sock.close()
                last_error = NewConnectionError(
                    self,  # type: ignore[arg-type]
                    f"Failed to establish a new connection: {error}",
                )
        if last_error is None:  # the deadline passed before any address was tried
            last_error = ConnectTimeoutError(self, f"Connection to {self.host} timed out.")
        raise last_error


def _connect_to(host: str, port: int) -> tuple[str, int]:
    """Where to connect for ``host:port``: CONNECT_TO's replacement, or the same."""
    target = conf.connect_to.get(f"{host.lower()}:{port}")
    if target is None:
        return host, port
    new_host, _, new_port = target.rpartition(":")
    return new_host.strip("[]"), int(new_port)


class GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection

    def _get_conn(self, timeout: float | None = None) -> BaseHTTPConnection:
        return _watch_pooled(super()._get_conn(timeout))


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection

    def _get_conn(self, timeout: float | None = None) -> BaseHTTPConnection:
        return _watch_pooled(super()._get_conn(timeout))


def _watch_pooled(connection: BaseHTTPConnection) -> BaseHTTPConnection:
    """A connection taken from the pool: an open one is watched here, a new one when made."""
    sock: socket.socket | None = getattr(connection, "sock", None)
    if sock is not None:
        _watch(sock)
    return connection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections go through the address guard."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }


def new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc from the environment
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = GuardedAdapter(pool_connections=64, pool_maxsize=16, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


_local = threading.local()


def get_session() -> requests.Session:
    """The calling thread's pooled session; a forked worker process starts a fresh one."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None or getattr(_local, "pid", None) != os.getpid():
        session = new_session()
        _local.session, _local.pid = session, os.getpid()
    return session


class _DeadlineExceeded(Exception):
    pass


class _Watchdog:
    """One attempt's wall-clock deadline: when it passes, every socket the attempt uses is
    shut down, so the connect, TLS handshake or read under way ends at once.

    Socket timeouts bound each wait, not their sum: a receiver that sends a byte just
    within the read timeout, again and again, would otherwise hold the attempt for ever.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._closed = False
        self._lock = threading.Lock()
        self._handles: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        _local.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        _local.watchdog = None
        self._timer.cancel()
        with self._lock:
            self._closed = True
            for handle in self._handles:
                handle.close()
            self._handles.clear()

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down at the deadline.

        Through a duplicate descriptor of our own: TLS takes the original socket object over
        (and a pooled one may be closed by urllib3), but shutting down any descriptor of a
        connection ends it for all of them."""
        try:
            handle = socket.fromfd(sock.fileno(), sock.family, sock.type, sock.proto)
        except OSError:
            return  # already closed: urllib3 will not read from it
        with self._lock:
            if self._closed:
                handle.close()
                return
            self._handles.append(handle)
            if self.expired:
                _shut_down(handle)

    def _expire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.expired = True
            for handle in self._handles:
                _shut_down(handle)


def _shut_down(handle: socket.socket) -> None:
    # Not connected yet, or already closed by the other side: nothing to end.
    with contextlib.suppress(OSError):
        handle.shutdown(socket.SHUT_RDWR)


def _deadline_passed() -> bool:
    watchdog: _Watchdog | None = getattr(_local, "watchdog", None)
    return watchdog is not None and watchdog.expired


def _watch(sock: socket.socket) -> None:
    """Put ``sock`` under the calling thread's current attempt deadline, if there is one."""
    watchdog: _Watchdog | None = getattr(_local, "watchdog", None)
    if watchdog is not None:
        watchdog.watch(sock)


def post(url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    """POST ``body`` to ``url`` once, within the configured timeouts; never raises: whatever
    goes wrong is a failed ``HttpResult`` with a reason."""
    started = time.monotonic()
    deadline = started + conf.attempt_deadline

    def elapsed_ms() -> int:
        return round((time.monotonic() - started) * 1000)

    def failed(kind: FailureKind, error: str) -> HttpResult:
        return HttpResult(status_code=None, duration_ms=elapsed_ms(), failure=kind, error=error)

    try:
        with _Watchdog(conf.attempt_deadline) as watchdog:
            try:
                result = _exchange(url, body, headers, deadline)
            except Exception:
                # Cut off by the watchdog: the read, handshake or connect fails however it
                # fails, but what happened is the deadline.
                if watchdog.expired:
                    raise _DeadlineExceeded from None
                raise
            if watchdog.expired:  # a body without a length ends "cleanly" when cut off
                raise _DeadlineExceeded
            return replace(result, duration_ms=elapsed_ms())
    except DestinationBlocked as error:
        return failed(FailureKind.BLOCKED, str(error))
    except _DeadlineExceeded:
        return failed(
            FailureKind.TIMEOUT, f"No complete answer within {conf.attempt_deadline:g} s."
        )
    except requests.exceptions.SSLError as error:
        return failed(FailureKind.TLS, f"TLS error: {_innermost(error)}")
    except requests.exceptions.ConnectTimeout:
        return failed(
            FailureKind.TIMEOUT, f"Connection timed out after {conf.connect_timeout:g} s."
        )
    except requests.exceptions.ReadTimeout:
        return failed(FailureKind.TIMEOUT, f"No answer within {conf.read_timeout:g} s.")
    except (
        requests.exceptions.ConnectionError,
        # an answer cut short (IncompleteRead) is the network's failure, so retried like one
        requests.exceptions.ChunkedEncodingError,
        ProtocolError,
    ) as error:
        return failed(FailureKind.CONNECTION, f"Connection failed: {_innermost(error)}")
    except requests.exceptions.RequestException as error:
        return failed(FailureKind.INVALID, f"Request failed: {_innermost(error)}")
    except Exception as error:  # one request must never take its batch down
        return failed(FailureKind.INVALID, f"Request failed: {type(error).__name__}: {error}")


def _exchange(url: str, body: bytes, headers: dict[str, str], deadline: float) -> HttpResult:
    """Send the request and read the answer (its body up to the limit); raises on failure."""
    # Prepared and handed to the guarded adapter directly: the session's merging of
    # settings, hooks and cookie handling, none of which we use, cost more than the rest.
    prepared = requests.Request("POST", url, data=body, headers=headers).prepare()
    with (
        get_session()
        .get_adapter(url)
        .send(
            prepared,
            stream=True,
            timeout=(conf.connect_timeout, conf.read_timeout),
            verify=conf.ca_bundle or True,
            proxies={},
        ) as response
    ):
        excerpt = _read_capped(response, conf.response_body_limit, deadline)
        return HttpResult(
            status_code=response.status_code,
            duration_ms=0,
            body_excerpt=excerpt,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            location=response.headers.get("Location"),
        )


def _read_capped(response: requests.Response, limit: int, deadline: float) -> str:
    """Read at most ``limit`` bytes of the body, giving up at ``deadline``."""
    received = bytearray()
    for chunk in response.iter_content(chunk_size=min(limit, 16384) or 1):
        received += chunk
        if len(received) >= limit:
            break
        if time.monotonic() > deadline:
            raise _DeadlineExceeded
    if time.monotonic() > deadline:
        raise _DeadlineExceeded
    return bytes(received[:limit]).decode("utf-8", errors="replace")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


def _innermost(error: BaseException) -> str:
    """The most specific message in an exception chain, without urllib3's object reprs."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = error.__cause__ or (
            error.args[0] if error.args and isinstance(error.args[0], BaseException) else None
        )
        if inner is None:
            break
        error = inner
    reason = getattr(error, "reason", None)
    if isinstance(reason, BaseException):
        return _innermost(reason)
    message = str(error)
    # urllib3 prefixes "<connection object at 0x...>: "; keep what follows.
    return message.split(">: ", 1)[-1]
