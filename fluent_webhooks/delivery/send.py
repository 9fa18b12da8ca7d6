"""Sending a batch of requests side by side, reporting each group as it completes."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from ..conf import conf
from ..http import transport
from ..http.transport import HttpResult
from .build import OutgoingRequest

#: How long a batch waits for all of its requests before it reports those that are done, so
#: that one slow receiver does not hold back the recording of the rest.
SETTLE_SECONDS = 0.5


@dataclass(frozen=True)
class Sent:
    """One request as it went out, and what came of it."""

    request: OutgoingRequest
    started_at: datetime
    result: HttpResult


def send_one(request: OutgoingRequest) -> Sent:
    started_at = timezone.now()
    return Sent(request, started_at, transport.post(request.url, request.body, request.headers))


def send_batch(
    requests: list[OutgoingRequest],
    *,
    keep_alive: Callable[[], None] | None = None,
    keep_alive_every: float = 10.0,
) -> Iterator[list[Sent]]:
    """Send ``requests`` on this process's sending threads; yield what completed, in groups.

    A fast batch yields once. While requests are still out, ``keep_alive`` is called every
    ``keep_alive_every`` seconds (the caller renews its claim), and each group that completes
    is yielded as it does, so it can be recorded at once.
    """
    if not requests:
        return
    pending: set[Future[Sent]] = {_executor().submit(send_one, r) for r in requests}
    done, pending = wait(pending, timeout=SETTLE_SECONDS)
    if done:
        yield [future.result() for future in done]
    renewed = time.monotonic()
    while pending:
        done, pending = wait(pending, timeout=SETTLE_SECONDS, return_when=FIRST_COMPLETED)
        if done:
            yield [future.result() for future in done]
        if keep_alive is not None and time.monotonic() - renewed >= keep_alive_every:
            keep_alive()
            renewed = time.monotonic()


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None


def _executor() -> ThreadPoolExecutor:
    """This process's sending threads (a forked worker process starts its own)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(conf.send_concurrency, thread_name_prefix="fluent-send")
            _pool_pid = os.getpid()
        return _pool
