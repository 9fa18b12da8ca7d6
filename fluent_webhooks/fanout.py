"""Fan-out, in the worker: one delivery per active webhook subscribed to each event."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .events import subscribes_to
from .models import Delivery, Event, Webhook


def fan_out(event_ids: Iterable[int]) -> list[Delivery]:
    """Create the deliveries of these events, once; returns them, to be handed out.

    Events another worker is fanning out right now are skipped (``SKIP LOCKED``), and running
    it again for the same events (a redelivered message, the sweeper) creates nothing.
    """
    with transaction.atomic():
        events = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(event_ids), fanned_out_at__isnull=True)
            .only("id", "name")
            .order_by("pk")
        )
        if not events:
            return []
        webhooks = list(Webhook.objects.active().only("id", "events"))
        now = timezone.now()
        deliveries = [
            Delivery(
                event=event, webhook=webhook, next_attempt_at=now, enqueued_at=now, created_at=now
            )
            for event in events
            for webhook in webhooks
            if subscribes_to(webhook.events, event.name)
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Event.objects.filter(pk__in=[event.pk for event in events]).update(fanned_out_at=now)
    return deliveries


def owed_event_ids(limit: int) -> list[int]:
    """Events still waiting for their fan-out, oldest first: fanned out together under load."""
    return list(
        Event.objects.filter(fanned_out_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
