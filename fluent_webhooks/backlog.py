"""The worker's database work: turning events into deliveries, finding what is owed, forgetting
what is old. Nothing here talks to the broker; ``dispatch`` hands out what these return."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from .choices import DeliveryStatus, WebhookStatus
from .conf import conf
from .models import Delivery, Event, Webhook
from .subscriptions import subscribers

#: Owed events one fan-out pass takes, and deliveries one sweep takes.
FAN_OUT_BATCH = 500
SWEEP_BATCH = 1000
PRUNE_BATCH = 500

#: Seconds after which a batch still being sent counts against ``MAX_BATCHES_PER_WEBHOOK``
#: whatever its webhook's record; and how recent a success must be for a webhook to count as
#: answering well.
SLOW_BATCH_SECONDS = 1.0
ANSWERING_WELL_WITHIN = 60.0

# The first key of the advisory locks of lock_webhooks, so that they meet no other's.
_CLAIM_LOCK_SPACE = 0x57EB

#: A delivery to be handed out, as ``(webhook_id, delivery_id)``.
DeliveryRef = tuple[int, uuid.UUID]


def fan_out(event_ids: list[int]) -> list[DeliveryRef]:
    """Create the deliveries of these events, once, for the webhooks that were active and
    subscribed to each when it happened (``subscriptions``); returns them, to be handed out.

    Events another worker is fanning out right now are skipped (``SKIP LOCKED``), and running
    it again for the same events (a redelivered message, the sweep) creates nothing.
    """
    return _fan_out(event_ids, limit=len(event_ids)) or []


def fan_out_owed(limit: int = FAN_OUT_BATCH) -> list[DeliveryRef] | None:
    """Fan out the oldest owed events; None when no event was owed (or free to take)."""
    return _fan_out(None, limit=limit)


def _fan_out(event_ids: list[int] | None, *, limit: int) -> list[DeliveryRef] | None:
    with transaction.atomic():
        owed = Event.objects.select_for_update(skip_locked=True).filter(fanned_out_at__isnull=True)
        if event_ids is not None:
            owed = owed.filter(pk__in=event_ids)
        events = list(owed.order_by("pk").values_list("pk", "name", "created_at")[:limit])
        if not events:
            return None
        # Who receives an event is decided by when it happened, not by when this runs.
        receivers = subscribers(events)
        now = timezone.now()
        deliveries = [
            Delivery(event_id=event_id, webhook_id=webhook_id, next_attempt_at=now, created_at=now)
            for event_id, _, _ in events
            for webhook_id in receivers[event_id]
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Event.objects.filter(pk__in=[event_id for event_id, _, _ in events]).update(
            fanned_out_at=now
        )
    return [(delivery.webhook_id, delivery.pk) for delivery in deliveries]


@dataclass(frozen=True)
class OwedWork:
    event_ids: list[int]
    deliveries: list[DeliveryRef]

    @property
    def delivery_ids(self) -> list[uuid.UUID]:
        return [delivery_id for _, delivery_id in self.deliveries]


def find_owed(
    *, everything: bool = False, limit: int = SWEEP_BATCH, lock: bool = False
) -> OwedWork:
    """The events and deliveries no broker message is known to carry, oldest first.

    Owed are: fan-outs whose hand-off failed (broker down) or was not done within
    ``STUCK_AFTER``; due retries that were stored as a due time; deliveries whose message was
    lost; deliveries a dead worker claimed. With ``everything`` (the broker lost its messages),
    every claimable delivery and every event not fanned out.
    """
    now = timezone.now()
    stuck_before = now if everything else now - timedelta(seconds=conf.stuck_after)
    events = Event.objects.owed(stuck_before).order_by("pk")
    deliveries = Delivery.objects.owed(now, stuck_before).order_by("next_attempt_at")
    if lock:  # inside the caller's transaction: concurrent sweeps skip each other's rows
        events = events.select_for_update(skip_locked=True)
        deliveries = deliveries.select_for_update(skip_locked=True)
    return OwedWork(
        list(events.values_list("pk", flat=True)[:limit]),
        list(deliveries.values_list("webhook_id", "pk")[:limit]),
    )


def parked(webhook_ids: list[int], limit: int) -> list[DeliveryRef]:
    """Due deliveries of these webhooks that were set aside while the webhook was busy."""
    return list(
        Delivery.objects.filter(
            webhook_id__in=webhook_ids,
            webhook__status=WebhookStatus.ACTIVE,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=timezone.now(),
            enqueued_at__isnull=True,
        )
        .order_by("next_attempt_at")
        .values_list("webhook_id", "pk")[:limit]
    )


def lock_webhooks(webhook_ids: list[int]) -> None:
    """Hold, until the transaction ends, the right to claim batches for these webhooks.

    Without it, two workers could both find a webhook free and both claim a batch for it
    (a receiver that hangs then holds two processes). A PostgreSQL advisory lock per webhook,
    taken in id order so that two batches never wait for each other; elsewhere (SQLite
    serialises writes anyway) nothing.
    """
    if webhook_ids and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, id) FROM unnest(%s::int[]) AS id ORDER BY id",
                [_CLAIM_LOCK_SPACE, sorted(webhook_ids)],
            )


def busy_webhooks(webhook_ids: list[int], *, limit: int, now: datetime | None = None) -> set[int]:
    """The webhooks among these that already have ``limit`` batches being sent.

    Checked before a batch is claimed, so that a slow receiver cannot take every worker
    process while other webhooks wait. A batch counts once it has been out for
    ``SLOW_BATCH_SECONDS``, or at once for a webhook not known to answer well (no success in
    the last minute, or a failure since): a receiver that answers quickly gets as many batches
    at once as there are processes free, one that hangs gets ``limit``. Read it under
    ``lock_webhooks``, so that two workers do not both pass.
    """
    now = now or timezone.now()
    in_flight = Delivery.objects.in_flight_batches(
        webhook_ids, now, slow_since=now - timedelta(seconds=SLOW_BATCH_SECONDS)
    )
    busy = {webhook_id for webhook_id, (_, slow) in in_flight.items() if slow >= limit}
    candidates = [w for w, (batches, _) in in_flight.items() if batches >= limit and w not in busy]
    if candidates:
        answering_well = set(
            Webhook.objects.filter(
                pk__in=candidates,
                last_error__isnull=True,
                last_triggered_at__gte=now - timedelta(seconds=ANSWERING_WELL_WITHIN),
            ).values_list("pk", flat=True)
        )
        busy.update(w for w in candidates if w not in answering_well)
    return busy


@dataclass(frozen=True)
class Pruned:
    events: int
    deliveries: int
    attempts: int


def prune(retention_days: int | None = None) -> Pruned:
    """Delete finished events older than the retention period, with their deliveries and
    attempts; anything still owed is kept whatever its age."""
    days = conf.retention_days if retention_days is None else retention_days
    cutoff = timezone.now() - timedelta(days=days)
    finished = (
        Event.objects.filter(created_at__lt=cutoff, fanned_out_at__isnull=False)
        .exclude(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])
        .order_by("pk")
    )
    totals = {
        "fluent_webhooks.Event": 0,
        "fluent_webhooks.Delivery": 0,
        "fluent_webhooks.Attempt": 0,
    }
    while ids := list(finished.values_list("pk", flat=True)[:PRUNE_BATCH]):
        _, by_model = Event.objects.filter(pk__in=ids).delete()
        for label, count in by_model.items():
            totals[label] = totals.get(label, 0) + count
    return Pruned(
        totals["fluent_webhooks.Event"],
        totals["fluent_webhooks.Delivery"],
        totals["fluent_webhooks.Attempt"],
    )
