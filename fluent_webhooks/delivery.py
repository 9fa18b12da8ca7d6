"""The delivery pipeline: claim a batch, send it, record it; plus test sends and redelivery."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from .conf import conf
from .events import TEST_EVENT
from .models import Delivery, Event, Webhook
from .payloads import build_payload, serialize_payload
from .recording import DeliveryOutcome, cancel, record_attempts
from .sending import send_all
from .xprofile import build_xprofile

TEST_SUCCESS_MESSAGE = "Webhook test successful."


def claim_many(delivery_ids: Iterable[uuid.UUID | str]) -> list[Delivery]:
    """Take the due deliveries among ``delivery_ids`` for this worker until ``STUCK_AFTER``
    passes. Those that are not due, or that another worker holds, are left alone."""
    ids = list(delivery_ids)
    now = timezone.now()
    token = uuid.uuid4()
    Delivery.objects.claimable(now).filter(pk__in=ids).update(
        status=Delivery.Status.SENDING,
        locked_until=now + timedelta(seconds=conf.stuck_after),
        claim_token=token,
    )
    return list(
        Delivery.objects.filter(pk__in=ids, claim_token=token).select_related("event", "webhook")
    )


def webhook_is_busy(webhook_id: int) -> bool:
    """Whether the webhook already has ``MAX_BATCHES_PER_WEBHOOK`` batches being sent.

    Checked before a batch is claimed, so that a slow receiver cannot take every worker
    process while other webhooks wait. A fast receiver's batches finish within milliseconds
    and seldom meet the limit. The count is a moment's reading; two workers may both pass.
    """
    in_flight = (
        Delivery.objects.filter(
            webhook_id=webhook_id,
            status=Delivery.Status.SENDING,
            locked_until__gt=timezone.now(),
        )
        .values("claim_token")
        .distinct()
        .count()
    )
    return in_flight >= conf.max_batches_per_webhook


def deliver_many(delivery_ids: Iterable[uuid.UUID | str]) -> list[DeliveryOutcome]:
    """Make the next attempt of every due delivery among ``delivery_ids``, side by side."""
    claimed = claim_many(delivery_ids)
    inactive = [d for d in claimed if not d.webhook.is_active]
    active = [d for d in claimed if d.webhook.is_active]
    outcomes = cancel(inactive, "The webhook is inactive.") if inactive else []
    if active:
        outcomes += record_attempts(active, send_all(active), may_retry=True)
    return outcomes


def redeliver(delivery_id: uuid.UUID | str) -> DeliveryOutcome | None:
    """Send a delivery again now, as a manual attempt with the same delivery id.

    Whatever its state, except while a worker is sending it (then None). A delivery that was
    still owed keeps its remaining retries; a finished one gets this one attempt.
    """
    now = timezone.now()
    token = uuid.uuid4()
    previous = Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
    taken = (
        Delivery.objects.filter(pk=delivery_id)
        .exclude(status=Delivery.Status.SENDING, locked_until__gte=now)
        .update(
            status=Delivery.Status.SENDING,
            locked_until=now + timedelta(seconds=conf.stuck_after),
            claim_token=token,
        )
    )
    if not taken:
        return None
    delivery = Delivery.objects.select_related("event", "webhook").get(pk=delivery_id)
    (outcome,) = record_attempts(
        [delivery], send_all([delivery]), may_retry=previous == Delivery.Status.PENDING, manual=True
    )
    return outcome


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
    (outcome,) = record_attempts([delivery], send_all([delivery]), may_retry=False, manual=True)
    assert outcome.result is not None
    return TestOutcome(
        success=outcome.error is None,
        status_code=outcome.result.status_code,
        response_time=outcome.result.duration_ms,
        message=outcome.error or TEST_SUCCESS_MESSAGE,
    )
