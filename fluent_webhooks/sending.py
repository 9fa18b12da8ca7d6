"""Building each delivery's request and sending a batch of them concurrently."""

from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from . import standard_signing, transport
from .conf import conf
from .headers import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from .models import Delivery, Webhook
from .signing import sign
from .transport import HttpResult

REDACTED = "[redacted]"
# Header names whose values may carry credentials; kept out of the delivery log.
_SENSITIVE_HEADER = re.compile(r"auth|token|key|secret|password|cookie|session", re.IGNORECASE)


def request_headers(webhook: Webhook, event: str, body: bytes, delivery_id: str) -> dict[str, str]:
    """The webhook's custom headers, then ours (validation keeps the two apart)."""
    timestamp = int(time.time())
    return {
        **webhook.headers,
        "Content-Type": "application/json",
        "User-Agent": conf.user_agent,
        SIGNATURE_HEADER: sign(body, webhook.secret),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        **standard_signing.headers(delivery_id, timestamp, body, webhook.secret),
    }


def redact(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: REDACTED if _SENSITIVE_HEADER.search(name) else value
        for name, value in headers.items()
    }


@dataclass(frozen=True)
class Sent:
    """One request as it went out, and what came of it."""

    headers: dict[str, str]
    started_at: datetime
    result: HttpResult


def send_one(delivery: Delivery) -> Sent:
    """One signed POST of the delivery's event body to its webhook's URL."""
    body = delivery.event.body.encode("utf-8")
    headers = request_headers(delivery.webhook, delivery.event.name, body, str(delivery.pk))
    started_at = timezone.now()
    return Sent(headers, started_at, transport.post(delivery.webhook.url, body, headers))


def send_all(deliveries: list[Delivery]) -> list[Sent]:
    """Send deliveries side by side, so one slow receiver does not delay the others."""
    if len(deliveries) <= 1:
        return [send_one(delivery) for delivery in deliveries]
    return list(_executor().map(send_one, deliveries))


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
