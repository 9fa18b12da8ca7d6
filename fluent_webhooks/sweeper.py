"""The database is the source of truth for what is owed: find it, and forget what is old."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .conf import conf
from .models import Delivery, Event

SWEEP_BATCH = 1000
PRUNE_BATCH = 500


@dataclass(frozen=True)
class OwedWork:
    event_ids: list[int]
    deliveries: list[tuple[int, uuid.UUID]]  # (webhook_id, delivery_id)

    @property
    def delivery_ids(self) -> list[uuid.UUID]:
        return [delivery_id for _, delivery_id in self.deliveries]


def collect_owed(limit: int = SWEEP_BATCH) -> OwedWork:
    """Take the events and deliveries no broker message is known to carry, marking them
    handed out now so that the next sweep does not take them again.

    Owed are: fan-outs whose hand-off failed (broker down) or was not done within
    ``STUCK_AFTER``; due retries that were stored as a due time; deliveries whose message was
    lost; deliveries a dead worker claimed.
    """
    now = timezone.now()
    stuck_before = now - timedelta(seconds=conf.stuck_after)
    with transaction.atomic():
        event_ids = list(
            Event.objects.owed(now, stuck_before)
            .order_by("created_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        deliveries = list(
            Delivery.objects.owed(now, stuck_before)
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("webhook_id", "pk")[:limit]
        )
        Event.objects.filter(pk__in=event_ids).update(enqueued_at=now)
        Delivery.objects.filter(pk__in=[pk for _, pk in deliveries]).update(enqueued_at=now)
    return OwedWork(event_ids, deliveries)


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
        .exclude(deliveries__status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])
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
