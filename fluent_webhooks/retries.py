"""When to try a failed delivery again."""

from __future__ import annotations

import random

from .transport import FailureKind, HttpResult

# Codes whose Retry-After header is honoured.
_RETRY_AFTER_CODES = frozenset({429, 503})
GONE = 410


def is_retryable(result: HttpResult) -> bool:
    """Whether trying again may succeed: not for success, 410 Gone, or a refused address."""
    if result.ok or result.status_code == GONE:
        return False
    return result.failure not in (FailureKind.BLOCKED, FailureKind.INVALID)


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
