"""Celery tasks: thin wrappers around the pipeline, and the hand-offs to the broker.

A hand-off never retries against a broker that is down and never raises: what it could not
hand out stays owed in the database, where the sweeper finds it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from .conf import conf
from .delivery import deliver
from .fanout import fan_out
from .models import Delivery, Event
from .sweeper import collect_owed, prune

logger = logging.getLogger(__name__)

# Retries due within this many seconds ride a broker countdown; later ones wait in the
# database for the sweeper, so no long-lived message depends on the broker's memory.
COUNTDOWN_MAX = 60.0

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
def fan_out_task(event_id: int) -> None:
    hand_off_deliveries(fan_out(event_id))


@shared_task(name="fluent_webhooks.deliver", **_AT_LEAST_ONCE)
def deliver_task(delivery_id: str) -> None:
    outcome = deliver(delivery_id)
    if outcome is None or outcome.next_attempt_at is None:
        return
    if (outcome.next_attempt_at - timezone.now()).total_seconds() <= COUNTDOWN_MAX:
        handed = hand_off_deliveries([outcome.delivery_id], eta=outcome.next_attempt_at)
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
    failed_events = [event_id for event_id in owed.event_ids if not hand_off_event(event_id)]
    if failed_events:
        Event.objects.filter(pk__in=failed_events).update(enqueued_at=None)
    handed = hand_off_deliveries(owed.delivery_ids)
    return {"events": len(owed.event_ids) - len(failed_events), "deliveries": len(handed)}


@contextmanager
def _producer() -> Iterator[Any]:
    """A pooled producer whose connection is up, or an error at once.

    Without this, kombu retries a lost broker connection for several seconds on every
    publish, and a broker outage would hold up each request that emits an event.
    """
    with fan_out_task.app.producer_pool.acquire(block=True) as producer:
        producer.connection.ensure_connection(max_retries=0)
        yield producer


def hand_off_event(event_id: int) -> bool:
    """Queue the fan-out of an event; False if the broker could not take it."""
    try:
        with _producer() as producer:
            fan_out_task.apply_async((event_id,), producer=producer, retry=False)
    except Exception:
        logger.warning(
            "Broker unavailable; event %s left for the sweeper.", event_id, exc_info=True
        )
        return False
    return True


def hand_off_deliveries(
    delivery_ids: Iterable[uuid.UUID], eta: datetime | None = None
) -> list[uuid.UUID]:
    """Queue deliveries; those the broker could not take are marked not handed out."""
    handed: list[uuid.UUID] = []
    failed: list[uuid.UUID] = []
    limits = {
        "soft_time_limit": conf.attempt_deadline + conf.connect_timeout + 30,
        "time_limit": conf.attempt_deadline + conf.connect_timeout + 60,
    }
    pending = list(delivery_ids)
    if not pending:
        return handed
    try:
        with _producer() as producer:
            for delivery_id in pending:
                deliver_task.apply_async(
                    (str(delivery_id),), eta=eta, producer=producer, retry=False, **limits
                )
                handed.append(delivery_id)
    except Exception:
        logger.warning("Broker unavailable; deliveries left for the sweeper.", exc_info=True)
        failed = pending[len(handed) :]
    if failed:
        Delivery.objects.filter(pk__in=failed).update(enqueued_at=None)
    return handed
