"""The worker's counters and histograms, counted where the attempts are made.

Names follow django-prometheus: the app's prefix, ``_total`` counters, ``_seconds``
histograms, lower-case labels. Each call takes a whole group of attempts and adds to each
label set once, so a batch of 50 costs a few increments, not 50.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Sequence

from prometheus_client import Counter, Histogram

from ..choices import FINAL_DELIVERY_STATUSES
from ..delivery.decide import AttemptOutcome, Delivered, Gone, RetryLater
from ..delivery.send import Sent

DELIVERIES = Counter(
    "fluent_webhooks_deliveries",
    "Deliveries that reached a final status (succeeded, failed, cancelled), by event.",
    ["outcome", "event"],
)
ATTEMPTS = Counter(
    "fluent_webhooks_attempts",
    "HTTP attempts made, by outcome (delivered, retry_later, gave_up, gone) and event.",
    ["outcome", "event"],
)
ATTEMPT_DURATION = Histogram(
    "fluent_webhooks_attempt_duration_seconds",
    "How long each attempt took, from connecting to the end of the answer.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
DELIVERY_LATENCY = Histogram(
    "fluent_webhooks_delivery_latency_seconds",
    "From an event's creation to the end of its successful attempt, per delivery (manual "
    "attempts left out).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 21600, 86400),
)


def attempt_outcome(outcome: AttemptOutcome) -> str:
    if isinstance(outcome, Delivered):
        return "delivered"
    if isinstance(outcome, RetryLater):
        return "retry_later"
    return "gone" if isinstance(outcome, Gone) else "gave_up"


def observe_attempts(
    sent: Sequence[Sent], outcomes: Sequence[AttemptOutcome], *, manual: bool
) -> None:
    attempts: Tally[tuple[str, str]] = Tally()
    deliveries: Tally[tuple[str, str]] = Tally()
    for item, outcome in zip(sent, outcomes, strict=True):
        event = item.request.delivery.event
        attempts[attempt_outcome(outcome), event.name] += 1
        if outcome.status in FINAL_DELIVERY_STATUSES:
            deliveries[outcome.status, event.name] += 1
        seconds = item.result.duration_ms / 1000
        ATTEMPT_DURATION.observe(seconds)
        # A replay's attempt is manual too: its event may be days old.
        if isinstance(outcome, Delivered) and not (
            manual or item.request.delivery.manual_next_attempt
        ):
            finished = item.started_at.timestamp() + seconds
            DELIVERY_LATENCY.observe(max(finished - event.created_at.timestamp(), 0.0))
    for (label, event_name), count in attempts.items():
        ATTEMPTS.labels(label, event_name).inc(count)
    for (status, event_name), count in deliveries.items():
        DELIVERIES.labels(status, event_name).inc(count)
