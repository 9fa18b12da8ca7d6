"""Querysets of the app's models."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from .events import subscribes_to

if TYPE_CHECKING:
    from .models import Webhook


class WebhookQuerySet(models.QuerySet["Webhook"]):
    def active(self) -> WebhookQuerySet:
        return self.filter(status="active")

    def subscribed_to(self, event_name: str) -> list[Webhook]:
        """The webhooks in this queryset that receive ``event_name``.

        Filtered in Python: ``events`` is a JSON list and JSON containment differs between
        databases, while a site has few webhooks.
        """
        return [webhook for webhook in self if subscribes_to(webhook.events, event_name)]


class EventQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def owed(self, now: datetime, stuck_before: datetime) -> EventQuerySet:
        """Events whose fan-out never reached the broker, or was handed out and not done."""
        return self.filter(fanned_out_at__isnull=True).filter(
            Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stuck_before)
        )


class DeliveryQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def claimable(self, now: datetime) -> DeliveryQuerySet:
        """Deliveries a worker may take now: due and pending, or abandoned mid-send."""
        return self.filter(
            Q(status="pending", next_attempt_at__lte=now)
            | Q(status="sending", locked_until__lt=now)
        )

    def owed(self, now: datetime, stuck_before: datetime) -> DeliveryQuerySet:
        """Claimable deliveries no live broker message is known to carry."""
        not_handed_out = (
            Q(enqueued_at__isnull=True)
            | Q(enqueued_at__lt=models.F("next_attempt_at"))
            | Q(enqueued_at__lt=stuck_before)
        )
        return self.claimable(now).filter(not_handed_out | Q(status="sending"))
