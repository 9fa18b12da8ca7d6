"""Celery tasks: thin wrappers that run the worker's steps and hand on what they ask for.

``dispatch`` publishes these by name; nothing here publishes by itself.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from celery import shared_task
from django.db import DatabaseError, transaction

from . import backlog
from .delivery import pipeline
from .dispatch import broker, deliveries
from .dispatch.deliveries import DeliverMessage
from .dispatch.sweep import sweep

# Seconds one fan-out task keeps taking owed events before it leaves the rest to a new message.
FAN_OUT_BUDGET = 2.0

_AT_LEAST_ONCE: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    # A database hiccup is retried soon; should the retries run out, the sweep still finds
    # the work owed once STUCK_AFTER has passed.
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "max_retries": 8,
}


@shared_task(name=broker.FAN_OUT_TASK, **_AT_LEAST_ONCE)
def fan_out_task(event_ids: list[int]) -> None:
    """Create the deliveries of every owed event, oldest first, and hand them out.

    ``event_ids`` are the events that asked for this message; every owed one is taken along.
    """
    broker.fan_out_started()
    started = time.monotonic()
    while (created := backlog.fan_out_owed()) is not None:
        deliveries.hand_out(created)
        if time.monotonic() - started > FAN_OUT_BUDGET:
            broker.request_fan_out([])  # let deliveries in; another message takes the rest
            return


@shared_task(name=broker.DELIVER_TASK, **_AT_LEAST_ONCE)
def deliver_task(message: DeliverMessage) -> None:
    """Deliver a batch; set aside at once what a busy webhook must wait for (its running batch
    hands it out when done); hand on retries; then hand out what waited for these webhooks."""
    with transaction.atomic():  # parked while the webhooks' claim locks are held
        batch = pipeline.claim_batch(deliveries.unpack(message))
        deliveries.park(batch.parked)
    deliveries.schedule_retries(pipeline.deliver_claimed(batch))
    deliveries.hand_out_parked(batch.served_webhooks)


@shared_task(name=broker.REDELIVER_TASK, **_AT_LEAST_ONCE)
def redeliver_task(delivery_ids: list[str]) -> None:
    """Manual redeliveries an admin asked for: one attempt each, same delivery id."""
    for delivery_id in delivery_ids:
        pipeline.redeliver(uuid.UUID(delivery_id))


@shared_task(name="fluent_webhooks.sweep", ignore_result=True)
def sweep_task() -> dict[str, int]:
    return sweep()


@shared_task(name="fluent_webhooks.prune", ignore_result=True)
def prune_task() -> None:
    backlog.prune()
