"""The delivery pipeline: claim, build, sign, send, record, decide the retry."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import transport
from .conf import conf
from .events import TEST_EVENT
from .headers import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from .models import Attempt, Delivery, Event, Webhook
from .outcomes import failure_message
from .payloads import build_payload, serialize_payload
from .retries import GONE, is_retryable, retry_delay
from .signing import sign
from .transport import HttpResult
from .xprofile import build_xprofile

TEST_SUCCESS_MESSAGE = "Webhook test successful."
REDACTED = "[redacted]"
# Header names whose values may carry credentials; kept out of the delivery log.
_SENSITIVE_HEADER = re.compile(r"auth|token|key|secret|password|cookie|session", re.IGNORECASE)
# A successful delivery refreshes last_triggered_at at most this often, so that a busy webhook's
# row is not written by every delivery.
_TRIGGER_RESOLUTION = timedelta(seconds=1)


def request_headers(webhook: Webhook, event: str, body: bytes, delivery_id: str) -> dict[str, str]:
    """The webhook's custom headers, then ours (validation keeps the two apart)."""
    return {
        **webhook.headers,
        "Content-Type": "application/json",
        "User-Agent": conf.user_agent,
        SIGNATURE_HEADER: sign(body, webhook.secret),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(int(time.time())),
    }


def redact(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: REDACTED if _SENSITIVE_HEADER.search(name) else value
        for name, value in headers.items()
    }


def claim(delivery_id: uuid.UUID | str) -> Delivery | None:
    """Take a due delivery for this worker until ``STUCK_AFTER`` passes; None if not ours."""
    now = timezone.now()
    lease = now + timedelta(seconds=conf.stuck_after)
    taken = (
        Delivery.objects.claimable(now)
        .filter(pk=delivery_id)
        .update(status=Delivery.Status.SENDING, locked_until=lease)
    )
    if not taken:
        return None
    return Delivery.objects.select_related("event", "webhook").get(pk=delivery_id)


@dataclass(frozen=True)
class DeliveryOutcome:
    delivery_id: uuid.UUID
    status: str
    next_attempt_at: datetime | None = None
    result: HttpResult | None = None
    error: str | None = None


def deliver(delivery_id: uuid.UUID | str) -> DeliveryOutcome | None:
    """Make the next attempt of a delivery if it is due and no other worker has it."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    if not delivery.webhook.is_active:
        _update(delivery, status=Delivery.Status.CANCELLED, last_error="The webhook is inactive.")
        return DeliveryOutcome(delivery.pk, Delivery.Status.CANCELLED)
    return attempt(delivery, may_retry=True)


def attempt(delivery: Delivery, *, may_retry: bool, manual: bool = False) -> DeliveryOutcome:
    """Send a claimed delivery once and record everything that came of it."""
    webhook, event = delivery.webhook, delivery.event
    body = event.body.encode("utf-8")
    number = delivery.attempt_count + 1
    headers = request_headers(webhook, event.name, body, str(delivery.pk))
    started_at = timezone.now()
    result = transport.post(webhook.url, body, headers)
    error = failure_message(result)
    status, next_attempt_at = _next_state(webhook, result, number, may_retry)
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            manual=manual,
            started_at=started_at,
            duration_ms=result.duration_ms,
            succeeded=result.ok,
            status_code=result.status_code,
            error=error or "",
            response_excerpt=result.body_excerpt,
            request_headers=redact(headers),
        )
        _update(
            delivery,
            status=status,
            attempt_count=number,
            last_status_code=result.status_code,
            last_error=error or "",
            next_attempt_at=next_attempt_at or delivery.next_attempt_at,
        )
        if result.status_code == GONE:
            error = f"{error} The receiver asked to stop: webhook deactivated."
            Webhook.objects.filter(pk=webhook.pk).update(status=Webhook.Status.INACTIVE)
            webhook.status = Webhook.Status.INACTIVE
        record_result(webhook, error)
    return DeliveryOutcome(delivery.pk, status, next_attempt_at, result, error)


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


def _update(delivery: Delivery, **changes: Any) -> None:
    changes["locked_until"] = None
    final = changes["status"] in (
        Delivery.Status.SUCCEEDED,
        Delivery.Status.FAILED,
        Delivery.Status.CANCELLED,
    )
    changes["completed_at"] = timezone.now() if final else None
    Delivery.objects.filter(pk=delivery.pk).update(**changes)
    for field, value in changes.items():
        setattr(delivery, field, value)


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


def redeliver(delivery_id: uuid.UUID | str) -> DeliveryOutcome | None:
    """Send a delivery again now, as a manual attempt with the same delivery id.

    Whatever its state, except while a worker is sending it (then None). A delivery that was
    still owed keeps its remaining retries; a finished one gets this one attempt.
    """
    now = timezone.now()
    previous = Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
    taken = (
        Delivery.objects.filter(pk=delivery_id)
        .exclude(status=Delivery.Status.SENDING, locked_until__gte=now)
        .update(
            status=Delivery.Status.SENDING, locked_until=now + timedelta(seconds=conf.stuck_after)
        )
    )
    if not taken:
        return None
    delivery = Delivery.objects.select_related("event", "webhook").get(pk=delivery_id)
    return attempt(delivery, may_retry=previous == Delivery.Status.PENDING, manual=True)


@dataclass(frozen=True)
class TestOutcome:
    success: bool
    status_code: int | None
    response_time: int
    message: str


def send_test(webhook: Webhook, user: Any = None) -> TestOutcome:
    """Send a signed test payload now, through the pipeline every delivery takes.

    It is logged like any delivery, is never retried, and goes out even while the webhook is
    inactive, so an admin can check an endpoint before turning it on.
    """
    now = timezone.now()
    data = {"webhook_id": webhook.pk, "message": "This is a test webhook from fluent-webhooks."}
    body = serialize_payload(build_payload(TEST_EVENT, data, build_xprofile(user), now))
    event = Event.objects.create(name=TEST_EVENT, body=body, created_at=now, fanned_out_at=now)
    # Created already claimed, so that no worker or sweeper takes it up as well.
    delivery = Delivery.objects.create(
        event=event,
        webhook=webhook,
        status=Delivery.Status.SENDING,
        locked_until=now + timedelta(seconds=conf.stuck_after),
        next_attempt_at=now,
        enqueued_at=now,
    )
    outcome = attempt(delivery, may_retry=False, manual=True)
    assert outcome.result is not None
    return TestOutcome(
        success=outcome.error is None,
        status_code=outcome.result.status_code,
        response_time=outcome.result.duration_ms,
        message=outcome.error or TEST_SUCCESS_MESSAGE,
    )
