"""Handing out deliveries: in batches, after a fan-out, for a retry, or once a webhook is free.

Every ``Delivery.enqueued_at`` write is here or in ``sweep``: it says when a broker message was
last sent for the delivery's current due time, so that the sweep knows what no message carries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import backlog
from ..backlog import DeliveryRef
from ..choices import DeliveryStatus
from ..conf import conf
from ..delivery.decide import Outcome
from ..models import Delivery
from . import broker

# Retries due within this many seconds ride a broker countdown; later ones wait in the
# database for the sweep, so no long-lived message depends on the broker's memory.
COUNTDOWN_MAX = 60.0

#: A deliver message: deliveries grouped by webhook, as ``[[webhook_id, [delivery_id, ...]]]``.
DeliverMessage = list[tuple[int, list[str]]]


def hand_out(deliveries: Iterable[DeliveryRef], eta: datetime | None = None) -> list[uuid.UUID]:
    """Queue deliveries in batches of ``DELIVERY_BATCH``; returns those handed out.

    A webhook with a batch's worth gets batches of its own, so a slow receiver holds up only
    its own; the few deliveries each of many webhooks get (one event, many webhooks) share
    batches. Those the broker could not take are marked not handed out, for the sweep.
    """
    messages = pack(_batches(deliveries, conf.delivery_batch), conf.delivery_batch)
    handed: list[uuid.UUID] = []
    try:
        with broker.publisher() as publisher:
            for message in messages:
                size = sum(len(ids) for _, ids in message)
                publisher.publish(
                    broker.DELIVER_TASK,
                    (message,),
                    eta=eta,
                    priority=broker.DELIVERY_PRIORITY,
                    **_time_limits(size),
                )
                handed.extend(uuid.UUID(pk) for _, ids in message for pk in ids)
    except Exception:
        broker.log_publish_failure("deliveries left for the sweeper")
        sent = set(handed)
        failed = [uuid.UUID(pk) for m in messages for _, ids in m for pk in ids]
        Delivery.objects.filter(pk__in=[pk for pk in failed if pk not in sent]).update(
            enqueued_at=None
        )
    return handed


def hand_out_redeliveries(delivery_ids: list[uuid.UUID]) -> bool:
    """Queue manual redeliveries (an admin's, of many deliveries at once) for the worker;
    False if the broker could not take them."""
    try:
        with broker.publisher() as publisher:
            publisher.publish(
                broker.REDELIVER_TASK,
                ([str(pk) for pk in delivery_ids],),
                priority=broker.DELIVERY_PRIORITY,
                **_time_limits(len(delivery_ids) * conf.send_concurrency),
            )
    except Exception:
        broker.log_publish_failure("redelivery not queued")
        return False
    return True


def park(delivery_ids: list[uuid.UUID]) -> None:
    """Set aside deliveries whose webhook is busy: its running batch hands them out when it
    finishes (``hand_out_parked``), or the sweep does."""
    if delivery_ids:
        Delivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.PENDING).update(
            enqueued_at=None
        )


def hand_out_parked(webhook_ids: list[int]) -> None:
    """Hand out the next batch that waited for each of these webhooks to be free."""
    if not webhook_ids:
        return
    with transaction.atomic():  # under the claim locks: what a batch parks is seen here
        backlog.lock_webhooks(webhook_ids)
        waiting = backlog.parked(webhook_ids, limit=conf.delivery_batch * len(webhook_ids))
        per_webhook: dict[int, list[DeliveryRef]] = {}
        for webhook_id, pk in waiting:
            batch = per_webhook.setdefault(webhook_id, [])
            if len(batch) < conf.delivery_batch:
                batch.append((webhook_id, pk))
        chosen = [ref for batch in per_webhook.values() for ref in batch]
        _mark_handed([pk for _, pk in chosen])
    if chosen:
        hand_out(chosen)


def schedule_retries(outcomes: Sequence[Outcome]) -> None:
    """Retries due within ``COUNTDOWN_MAX`` ride a broker countdown, one message per webhook;
    later ones stay in the database until the sweep finds them due."""
    now = timezone.now()
    soon: dict[int, list[Outcome]] = {}
    for outcome in outcomes:
        due = outcome.next_attempt_at
        if due is not None and (due - now).total_seconds() <= COUNTDOWN_MAX:
            soon.setdefault(outcome.webhook_id, []).append(outcome)
    for webhook_id, retries in soon.items():
        eta = max(r.next_attempt_at for r in retries if r.next_attempt_at is not None)
        handed = hand_out([(webhook_id, r.delivery_id) for r in retries], eta=eta)
        if handed:
            # Handed out for this due time: the sweep leaves them alone unless they get stuck.
            Delivery.objects.filter(pk__in=handed).update(enqueued_at=F("next_attempt_at"))


def _mark_handed(delivery_ids: list[uuid.UUID]) -> None:
    Delivery.objects.filter(pk__in=delivery_ids).update(enqueued_at=timezone.now())


def _batches(deliveries: Iterable[DeliveryRef], size: int) -> list[tuple[int, list[uuid.UUID]]]:
    """Deliveries grouped by webhook, in batches of at most ``size``."""
    by_webhook: dict[int, list[uuid.UUID]] = {}
    for webhook_id, delivery_id in deliveries:
        by_webhook.setdefault(webhook_id, []).append(delivery_id)
    return [
        (webhook_id, ids[start : start + size])
        for webhook_id, ids in by_webhook.items()
        for start in range(0, len(ids), size)
    ]


def pack(batches: list[tuple[int, list[uuid.UUID]]], size: int) -> list[DeliverMessage]:
    """Full batches travel alone; smaller ones share messages of up to ``size`` deliveries."""
    messages: list[DeliverMessage] = []
    shared: DeliverMessage = []
    shared_size = 0
    for webhook_id, ids in batches:
        group = (webhook_id, [str(pk) for pk in ids])
        if len(ids) >= size:
            messages.append([group])
            continue
        if shared_size + len(ids) > size:
            messages.append(shared)
            shared, shared_size = [], 0
        shared.append(group)
        shared_size += len(ids)
    if shared:
        messages.append(shared)
    return messages


def unpack(message: DeliverMessage) -> list[DeliveryRef]:
    return [(int(webhook_id), uuid.UUID(pk)) for webhook_id, ids in message for pk in ids]


def _time_limits(batch_size: int) -> dict[str, float]:
    """Above the longest a batch can take: its rounds of attempts, each up to the deadline."""
    rounds = -(-batch_size // conf.send_concurrency)
    longest = rounds * (conf.attempt_deadline + conf.connect_timeout)
    return {"soft_time_limit": longest + 30, "time_limit": longest + 60}
