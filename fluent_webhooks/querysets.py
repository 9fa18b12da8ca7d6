"""Querysets of the app's models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

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
