"""Fan-out, in the worker: one delivery per active webhook subscribed to an event."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from .models import Delivery, Event, Webhook


def fan_out(event_id: int) -> list[uuid.UUID]:
    """Create the deliveries of an event once; returns their ids, to be handed out.

    Running it again for the same event (a redelivered message, the sweeper) creates nothing.
    """
    with transaction.atomic():
        event = (
            Event.objects.select_for_update()
            .filter(pk=event_id, fanned_out_at__isnull=True)
            .only("id", "name")
            .first()
        )
        if event is None:
            return []
        now = timezone.now()
        deliveries = [
            Delivery(
                event=event, webhook=webhook, next_attempt_at=now, enqueued_at=now, created_at=now
            )
            for webhook in Webhook.objects.active().subscribed_to(event.name)
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Event.objects.filter(pk=event_id).update(fanned_out_at=now)
    return [delivery.pk for delivery in deliveries]
