"""What an HTTP result means for a delivery: delivered, try again at a time, or give up.

The one place that reads status codes and failure kinds. ``decide`` returns a typed outcome;
``record`` writes it down and ``dispatch`` schedules what it says, neither decides anything.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import ClassVar

from ..choices import DeliveryStatus
from ..conf import conf
from ..http.transport import FailureKind, HttpResult

GONE = 410
# Without a RETRY_SCHEDULE, a webhook's last retry comes this long after its first failure
# (Svix retries over about 27 h), whatever its retry_count: an outage of a night or a lunch
# break loses nothing.
RETRY_SPAN = 27 * 3600.0
# How the retries crowd towards the first failure: retry i of n comes at RETRY_SPAN * (i/n)^4,
# so the first gaps are short (a blip is soon over) and the last are hours (an outage is not).
_RETRY_CURVE = 4
# Codes whose Retry-After header is honoured.
_RETRY_AFTER_CODES = frozenset({429, 503})
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Outcome:
    """What became of a delivery this time, and what happens next."""

    delivery_id: uuid.UUID
    webhook_id: int

    status: ClassVar[str]

    @property
    def error(self) -> str | None:
        return None

    @property
    def next_attempt_at(self) -> datetime | None:
        return None


@dataclass(frozen=True)
class AttemptOutcome(Outcome):
    """The outcome of an attempt: the HTTP result it came from."""

    result: HttpResult


@dataclass(frozen=True)
class Delivered(AttemptOutcome):
    status: ClassVar[str] = DeliveryStatus.SUCCEEDED


@dataclass(frozen=True)
class Failed(AttemptOutcome):
    """A failed attempt; ``reason`` is the message a person can act on."""

    reason: str

    status: ClassVar[str] = DeliveryStatus.FAILED

    @property
    def error(self) -> str:
        return self.reason


@dataclass(frozen=True)
class RetryLater(Failed):
    """A retryable failure with retries left: try again at ``retry_at``."""

    retry_at: datetime

    status: ClassVar[str] = DeliveryStatus.PENDING

    @property
    def next_attempt_at(self) -> datetime:
        return self.retry_at


@dataclass(frozen=True)
class GaveUp(Failed):
    """A permanent failure, or a retryable one with no retries left."""

    status: ClassVar[str] = DeliveryStatus.FAILED


@dataclass(frozen=True)
class Gone(GaveUp):
    """The receiver answered 410 Gone: stop, and deactivate the webhook."""

    @property
    def error(self) -> str:
        return f"{self.reason} The receiver asked to stop: webhook deactivated."


def decide(
    delivery_id: uuid.UUID,
    webhook_id: int,
    result: HttpResult,
    *,
    attempt_number: int,
    retry_count: int,
    may_retry: bool,
    now: datetime,
) -> AttemptOutcome:
    """The outcome of attempt ``attempt_number`` (1 is the first) of a delivery."""
    if result.ok:
        return Delivered(delivery_id, webhook_id, result)
    reason = failure_message(result)
    if result.status_code == GONE:
        return Gone(delivery_id, webhook_id, result, reason)
    if not (may_retry and is_retryable(result) and attempt_number <= retry_count):
        return GaveUp(delivery_id, webhook_id, result, reason)
    delay = retry_delay(
        attempt_number,
        result,
        schedule=conf.retry_schedule or default_retry_schedule(retry_count),
        jitter=conf.retry_jitter,
        retry_after_max=conf.retry_after_max,
    )
    return RetryLater(delivery_id, webhook_id, result, reason, now + timedelta(seconds=delay))


def is_retryable(result: HttpResult) -> bool:
    """Whether trying again may succeed: not for success, 410 Gone, or a refused address."""
    if result.ok or result.status_code == GONE:
        return False
    return result.failure not in (FailureKind.BLOCKED, FailureKind.INVALID)


def default_retry_schedule(retry_count: int) -> tuple[float, ...]:
    """The waits before each of ``retry_count`` retries: growing, and adding up to
    ``RETRY_SPAN`` (before jitter)."""
    count = max(retry_count, 1)
    times = [RETRY_SPAN * (i / count) ** _RETRY_CURVE for i in range(count + 1)]
    return tuple(later - earlier for earlier, later in pairwise(times))


def retry_delay(
    retry_number: int,
    result: HttpResult,
    *,
    schedule: tuple[float, ...],
    jitter: float,
    retry_after_max: float,
) -> float:
    """Seconds to wait before retry ``retry_number`` (1 for the first retry).

    The schedule's step (the last one repeats) lengthened by up to ``jitter`` of itself, so
    that deliveries failed together do not all come back at once; never sooner than a
    receiver's ``Retry-After`` on 429/503, which is honoured up to ``retry_after_max``.
    """
    step = schedule[min(retry_number, len(schedule)) - 1]
    delay = step * (1 + random.uniform(0, jitter))  # noqa: S311 - jitter, not secrecy
    if result.status_code in _RETRY_AFTER_CODES and result.retry_after is not None:
        delay = max(delay, min(result.retry_after, retry_after_max))
    return delay


def failure_message(result: HttpResult) -> str:
    """Why ``result`` is a failed attempt, in words a person can act on."""
    if result.failure is not None:
        prefix = "Blocked: " if result.failure is FailureKind.BLOCKED else ""
        return f"{prefix}{result.error}"
    status = result.status_code
    if status in _REDIRECT_CODES:
        return f"HTTP {status}: redirects are not followed (Location: {result.location or '-'})."
    excerpt = " ".join(result.body_excerpt.split())[:200]
    return f"HTTP {status}" + (f": {excerpt}" if excerpt else ".")
