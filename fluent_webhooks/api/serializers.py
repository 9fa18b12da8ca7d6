"""The objects API clients read (webhooks, deliveries, attempts), and saving what ``rules``
accepted."""

from __future__ import annotations

from typing import Any

from .. import health
from ..choices import DeliveryStatus
from ..formats import api_datetime
from ..models import Attempt, Delivery, Webhook
from ..querysets import success_rate
from ..redaction import mask_headers
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


def webhook_object(
    webhook: Webhook, *, reveal_secret: bool, reveal_headers: bool = False
) -> dict[str, Any]:
    """The documented webhook object; the secret and the custom header values whole only when
    just created (masked after, as ``redaction`` masks them). Its health (read-only) needs
    ``webhook`` from ``Webhook.objects.with_recent_attempts()``."""
    rate = success_rate(webhook)
    return {
        "id": webhook.pk,
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "status": webhook.status,
        "secret": webhook.secret if reveal_secret else mask_secret(webhook.secret),
        "headers": dict(webhook.headers) if reveal_headers else mask_headers(webhook.headers),
        "retry_count": webhook.retry_count,
        "format": webhook.format,
        "template": webhook.template,
        "last_triggered_at": api_datetime(webhook.last_triggered_at),
        "last_error": webhook.last_error,
        "success_rate_24h": None if rate is None else round(rate, 4),
        "consecutive_failures": webhook.consecutive_failures,
        "failing_since": api_datetime(webhook.failing_since),
        "disabled_reason": webhook.disabled_reason,
        "created_at": api_datetime(webhook.created_at),
        "updated_at": api_datetime(webhook.updated_at),
    }


def delivery_object(delivery: Delivery) -> dict[str, Any]:
    """A delivery as the log lists it; ``delivery`` comes with its event and ``last_attempt_at``
    (``Max`` of its attempts' start) annotated."""
    return {
        "id": str(delivery.pk),
        "webhook_id": delivery.webhook_id,
        "event": delivery.event.name,
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error or None,
        "created_at": api_datetime(delivery.created_at),
        "last_attempt_at": api_datetime(getattr(delivery, "last_attempt_at", None)),
        # Only an owed delivery has an attempt to come; one being sent has it now.
        "next_attempt_at": (
            api_datetime(delivery.next_attempt_at)
            if delivery.status == DeliveryStatus.PENDING
            else None
        ),
    }


def attempt_object(attempt: Attempt) -> dict[str, Any]:
    """One attempt as recorded; its request headers were stored redacted."""
    return {
        "number": attempt.number,
        "manual": attempt.manual,
        "started_at": api_datetime(attempt.started_at),
        "duration_ms": attempt.duration_ms,
        "succeeded": attempt.succeeded,
        "status_code": attempt.status_code,
        "error": attempt.error or None,
        "response_excerpt": attempt.response_excerpt,
        "request_headers": dict(attempt.request_headers),
    }
