"""Recording what came of a batch of attempts: attempts, deliveries, webhooks, in one commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .conf import conf
from .models import Attempt, Delivery, Webhook
from .outcomes import failure_message
from .retries import GONE, is_retryable, retry_delay
from .sending import Sent, redact
from .transport import HttpResult

# A successful delivery refreshes last_triggered_at at most this often, so that a busy webhook's
# row is not written by every delivery.
_TRIGGER_RESOLUTION = timedelta(seconds=1)
_FINAL = (Delivery.Status.SUCCEEDED, Delivery.Status.FAILED, Delivery.Status.CANCELLED)
_DELIVERY_FIELDS = [
    "status",
    "attempt_count",
    "last_status_code",
    "last_error",
    "locked_until",
    "claim_token",
    "completed_at",
]


@dataclass(frozen=True)
class DeliveryOutcome:
    delivery_id: uuid.UUID
    webhook_id: int
    status: str
    next_attempt_at: datetime | None = None
    result: HttpResult | None = None
    error: str | None = None


def record_attempts(
    deliveries: list[Delivery], sent: list[Sent], *, may_retry: bool, manual: bool = False
) -> list[DeliveryOutcome]:
    """Store each attempt, move each delivery on, and update each webhook once."""
    now = timezone.now()
    attempts, outcomes = [], []
    last_error_by_webhook: dict[int, tuple[Webhook, str | None]] = {}
    gone: set[int] = set()
    for delivery, request in zip(deliveries, sent, strict=True):
        result = request.result
        error = failure_message(result)
        number = delivery.attempt_count + 1
        status, next_attempt_at = _next_state(delivery.webhook, result, number, may_retry)
        attempts.append(
            Attempt(
                delivery=delivery,
                number=number,
                manual=manual,
                started_at=request.started_at,
                duration_ms=result.duration_ms,
                succeeded=result.ok,
                status_code=result.status_code,
                error=error or "",
                response_excerpt=result.body_excerpt,
                request_headers=redact(request.headers),
            )
        )
        _move_on(delivery, now, status=status, attempt_count=number)
        delivery.last_status_code = result.status_code
        delivery.last_error = error or ""
        delivery.next_attempt_at = next_attempt_at or delivery.next_attempt_at
        if result.status_code == GONE:
            error = f"{error} The receiver asked to stop: webhook deactivated."
            gone.add(delivery.webhook.pk)
            last_error_by_webhook[delivery.webhook.pk] = (delivery.webhook, error)
        elif delivery.webhook.pk not in gone:  # the reason for deactivating outranks the rest
            last_error_by_webhook[delivery.webhook.pk] = (delivery.webhook, error)
        outcomes.append(
            DeliveryOutcome(
                delivery.pk, delivery.webhook_id, status, next_attempt_at, result, error
            )
        )
    with transaction.atomic():
        Attempt.objects.bulk_create(attempts)
        _save_deliveries(deliveries)
        if gone:
            Webhook.objects.filter(pk__in=gone).update(status=Webhook.Status.INACTIVE)
        for webhook, error in last_error_by_webhook.values():
            record_result(webhook, error)
    return outcomes


def cancel(deliveries: list[Delivery], reason: str) -> list[DeliveryOutcome]:
    now = timezone.now()
    for delivery in deliveries:
        _move_on(delivery, now, status=Delivery.Status.CANCELLED)
        delivery.last_error = reason
    _save_deliveries(deliveries)
    return [
        DeliveryOutcome(d.pk, d.webhook_id, Delivery.Status.CANCELLED, error=reason)
        for d in deliveries
    ]


def _save_deliveries(deliveries: list[Delivery]) -> None:
    """One UPDATE per set of identical new values: a batch that went well is one statement.

    (Django's bulk_update builds a CASE per row and field, which costs more than the sending.)
    """
    groups: dict[tuple[tuple[str, object], ...], list[uuid.UUID]] = {}
    for delivery in deliveries:
        fields = _DELIVERY_FIELDS
        if delivery.status == Delivery.Status.PENDING:  # only a retry moves the due time
            fields = [*fields, "next_attempt_at"]
        values = tuple((field, getattr(delivery, field)) for field in fields)
        groups.setdefault(values, []).append(delivery.pk)
    for values, ids in groups.items():
        Delivery.objects.filter(pk__in=ids).update(**dict(values))


def record_result(webhook: Webhook, error: str | None) -> None:
    """Success sets ``last_triggered_at`` and clears ``last_error``; failure sets ``last_error``.

    ``update()``, not ``save()``: an admin's concurrent edit is never overwritten.
    """
    now = timezone.now()
    if error is None:
        Webhook.objects.filter(pk=webhook.pk).filter(
            Q(last_error__isnull=False)
            | Q(last_triggered_at__isnull=True)
            | Q(last_triggered_at__lt=now - _TRIGGER_RESOLUTION)
        ).update(last_triggered_at=now, last_error=None)
        webhook.last_triggered_at, webhook.last_error = now, None
    else:
        Webhook.objects.filter(pk=webhook.pk).update(last_error=error)
        webhook.last_error = error


def _move_on(
    delivery: Delivery, now: datetime, *, status: str, attempt_count: int | None = None
) -> None:
    delivery.status = status
    if attempt_count is not None:
        delivery.attempt_count = attempt_count
    delivery.locked_until = None
    delivery.claim_token = None
    delivery.completed_at = now if status in _FINAL else None


def _next_state(
    webhook: Webhook, result: HttpResult, number: int, may_retry: bool
) -> tuple[str, datetime | None]:
    if result.ok:
        return Delivery.Status.SUCCEEDED, None
    if not (may_retry and is_retryable(result) and number <= webhook.retry_count):
        return Delivery.Status.FAILED, None
    delay = retry_delay(
        number,
        result,
        schedule=conf.retry_schedule,
        jitter=conf.retry_jitter,
        retry_after_max=conf.retry_after_max,
    )
    return Delivery.Status.PENDING, timezone.now() + timedelta(seconds=delay)
