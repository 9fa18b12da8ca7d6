"""The webhook object as API clients read it, and saving what ``rules`` accepted."""

from __future__ import annotations

from typing import Any

from .. import health
from ..formats import api_datetime
from ..models import Webhook
from ..secret_keys import mask_secret


def create_webhook(values: dict[str, Any]) -> Webhook:
    return Webhook.objects.create(**values)


def update_webhook(webhook: Webhook, values: dict[str, Any]) -> Webhook:
    if values.get("status") == Webhook.Status.ACTIVE and not webhook.is_active:
        values = {**values, **health.REACTIVATED}  # a person's fresh start
    for field, value in values.items():
        setattr(webhook, field, value)
    webhook.save(update_fields=[*values, "updated_at"])
    return webhook


def webhook_object(webhook: Webhook, *, reveal_secret: bool) -> dict[str, Any]:
    """The documented webhook object; the secret whole only when just created."""
    return {
        "id": webhook.pk,
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "status": webhook.status,
        "secret": webhook.secret if reveal_secret else mask_secret(webhook.secret),
        "headers": dict(webhook.headers),
        "retry_count": webhook.retry_count,
        "format": webhook.format,
        "template": webhook.template,
        "last_triggered_at": api_datetime(webhook.last_triggered_at),
        "last_error": webhook.last_error,
        "created_at": api_datetime(webhook.created_at),
        "updated_at": api_datetime(webhook.updated_at),
    }
