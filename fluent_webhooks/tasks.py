"""Celery tasks: thin wrappers around the pipeline, and the hand-offs to the broker.

A hand-off never retries against a broker that is down and never raises: what it could not
hand out stays owed in the database, where the sweeper finds it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from .conf import conf
from .delivery import deliver_many, webhook_is_busy
from .fanout import fan_out, owed_event_ids
from .models import Delivery, Event
from .sweeper import collect_owed, prune

logger = logging.getLogger(__name__)

# Retries due within this many seconds ride a broker countdown; later ones wait in the
# database for the sweeper, so no long-lived message depends on the broker's memory.
COUNTDOWN_MAX = 60.0
# Owed events one fan-out task takes along with its own.
FAN_OUT_BATCH = 500
# Seconds a batch to a webhook with MAX_BATCHES_PER_WEBHOOK batches in flight waits to try again.
BUSY_WEBHOOK_DELAY = 0.2

_AT_LEAST_ONCE: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    # A database hiccup is retried soon; should the retries run out, the sweeper still finds
    # the work owed once STUCK_AFTER has passed.
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "max_retries": 8,
}


@shared_task(name="fluent_webhooks.fan_out", **_AT_LEAST_ONCE)
def fan_out_task(event_ids: list[int] | int) -> None:
    ids = [event_ids] if isinstance(event_ids, int) else list(event_ids)
    # Under load, events wait side by side: fan them out together and send in batches.
    deliveries = fan_out([*ids, *owed_event_ids(limit=FAN_OUT_BATCH)])
    hand_off_deliveries([(d.webhook_id, d.pk) for d in deliveries])


@shared_task(name="fluent_webhooks.deliver", **_AT_LEAST_ONCE)
def deliver_task(delivery_ids: list[str] | str, webhook_id: int | None = None) -> None:
    ids = [delivery_ids] if isinstance(delivery_ids, str) else delivery_ids
    now = timezone.now()
    if webhook_id is not None and webhook_is_busy(webhook_id):
        # A receiver this slow keeps enough workers busy already: come back shortly.
        hand_off_deliveries(
            [(webhook_id, pk) for pk in ids], eta=now + timedelta(seconds=BUSY_WEBHOOK_DELAY)
        )
        return
    for outcome in deliver_many(ids):
        if outcome.next_attempt_at is None:
            continue
        if (outcome.next_attempt_at - now).total_seconds() <= COUNTDOWN_MAX:
            handed = hand_off_deliveries(
                [(outcome.webhook_id, outcome.delivery_id)], eta=outcome.next_attempt_at
            )
            if handed:
                # Handed out for this due time: the sweeper leaves it alone unless it gets stuck.
                Delivery.objects.filter(pk=outcome.delivery_id).update(
                    enqueued_at=outcome.next_attempt_at
                )


@shared_task(name="fluent_webhooks.sweep", ignore_result=True)
def sweep_task() -> dict[str, int]:
    return sweep()


@shared_task(name="fluent_webhooks.prune", ignore_result=True)
def prune_task() -> None:
    prune()


def sweep() -> dict[str, int]:
    """Hand out everything the database says is owed; returns how much."""
    owed = collect_owed()
    events_handed = hand_off_events(owed.event_ids)
    if owed.event_ids and not events_handed:
        Event.objects.filter(pk__in=owed.event_ids).update(enqueued_at=None)
    handed = hand_off_deliveries(owed.deliveries)
    return {"events": len(owed.event_ids) if events_handed else 0, "deliveries": len(handed)}


@contextmanager
def _producer() -> Iterator[Any]:
    """A pooled producer whose connection is up, or an error at once.

    Without this, kombu retries a lost broker connection for several seconds on every
    publish, and a broker outage would hold up each request that emits an event.
    """
    with fan_out_task.app.producer_pool.acquire(block=True) as producer:
        producer.connection.ensure_connection(max_retries=0)
        yield producer


def hand_off_events(event_ids: list[int]) -> bool:
    """Queue the fan-out of events, in one message; False if the broker could not take it."""
    if not event_ids:
        return True
    try:
        with _producer() as producer:
            fan_out_task.apply_async((event_ids,), producer=producer, retry=False)
    except Exception:
        logger.warning("Broker unavailable; events left for the sweeper.", exc_info=True)
        return False
    return True


def hand_off_deliveries(
    deliveries: Iterable[tuple[int | None, uuid.UUID]], eta: datetime | None = None
) -> list[uuid.UUID]:
    """Queue deliveries, given as ``(webhook_id, delivery_id)``, in batches of one webhook's
    deliveries each, so that a slow receiver holds up only its own batches. Those the broker
    could not take are marked not handed out, for the sweeper."""
    batches = _batches(deliveries, conf.delivery_batch)
    handed: list[uuid.UUID] = []
    failed: list[uuid.UUID] = []
    if not batches:
        return handed
    try:
        with _producer() as producer:
            for webhook_id, batch in batches:
                deliver_task.apply_async(
                    ([str(pk) for pk in batch], webhook_id),
                    eta=eta,
                    producer=producer,
                    retry=False,
                    **_time_limits(len(batch)),
                )
                handed.extend(batch)
    except Exception:
        logger.warning("Broker unavailable; deliveries left for the sweeper.", exc_info=True)
        sent = set(handed)
        failed = [pk for _, batch in batches for pk in batch if pk not in sent]
    if failed:
        Delivery.objects.filter(pk__in=failed).update(enqueued_at=None)
    return handed


def _batches(
    deliveries: Iterable[tuple[int | None, uuid.UUID]], size: int
) -> list[tuple[int | None, list[uuid.UUID]]]:
    by_webhook: dict[int | None, list[uuid.UUID]] = {}
    for webhook_id, delivery_id in deliveries:
        by_webhook.setdefault(webhook_id, []).append(delivery_id)
    return [
        (webhook_id, ids[start : start + size])
        for webhook_id, ids in by_webhook.items()
        for start in range(0, len(ids), size)
    ]


def _time_limits(batch_size: int) -> dict[str, float]:
    """Above the longest a batch can take: its rounds of attempts, each up to the deadline."""
    rounds = -(-batch_size // conf.send_concurrency)
    longest = rounds * (conf.attempt_deadline + conf.connect_timeout)
    return {"soft_time_limit": longest + 30, "time_limit": longest + 60}
