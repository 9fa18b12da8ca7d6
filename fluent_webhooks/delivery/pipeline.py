"""The pipeline of one batch: claim → build → sign → send → decide → record.

Each step takes what the last produced: claimed deliveries, signed requests (``build``), what
came back (``send``), typed outcomes (``decide``), rows (``record``). ``dispatch`` then hands
out what the outcomes ask for (retries, parked work); nothing here publishes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import chain
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import backlog, metrics
from ..backlog import DeliveryRef
from ..choices import DeliveryStatus
from ..conf import conf
from ..events.catalog import TEST_EVENT
from ..events.emit import record_event
from ..http.transport import FailureKind, HttpResult
from ..models import Delivery, Webhook
from .build import OutgoingRequest, build_request
from .decide import AttemptOutcome, Delivered, Outcome, decide
from .record import record_attempts, renew_claim
from .send import Sent, send_batch

TEST_SUCCESS_MESSAGE = "Webhook test successful."


@dataclass(frozen=True)
class ClaimedBatch:
    """What a batch could take: claimed deliveries, and those left for a busy webhook."""

    token: uuid.UUID
    claimed: list[Delivery]
    #: Deliveries left for later because their webhook had enough batches in flight.
    parked: list[uuid.UUID] = field(default_factory=list)
    #: The webhooks this batch sends to, whose parked work may follow once it is done.
    served_webhooks: list[int] = field(default_factory=list)


def claim_batch(batch: Sequence[DeliveryRef]) -> ClaimedBatch:
    """Claim a batch of ``(webhook_id, delivery_id)``, except for webhooks that are busy."""
    webhook_ids = sorted({webhook_id for webhook_id, _ in batch})
    token = uuid.uuid4()
    with transaction.atomic():  # one worker at a time decides for these webhooks
        backlog.lock_webhooks(webhook_ids)
        busy = backlog.busy_webhooks(webhook_ids, limit=conf.max_batches_per_webhook)
        claimed = claim_many([pk for webhook_id, pk in batch if webhook_id not in busy], token)
    return ClaimedBatch(
        token,
        claimed,
        parked=[pk for webhook_id, pk in batch if webhook_id in busy],
        served_webhooks=[webhook_id for webhook_id in webhook_ids if webhook_id not in busy],
    )


def deliver_claimed(batch: ClaimedBatch) -> list[Outcome]:
    """Make the next attempt of every delivery a batch claimed, side by side."""
    return _deliver_claimed(batch.claimed, batch.token)


def claim_many(
    delivery_ids: Iterable[uuid.UUID], token: uuid.UUID | None = None, *, manual: bool = False
) -> list[Delivery]:
    """Take the claimable deliveries among ``delivery_ids`` for this worker, for
    ``STUCK_AFTER`` seconds (renewed while they are being sent)."""
    now = timezone.now()
    return Delivery.objects.claim(
        list(delivery_ids),
        token=token or uuid.uuid4(),
        now=now,
        until=now + timedelta(seconds=conf.stuck_after),
        manual=manual,
    )


def _deliver_claimed(claimed: list[Delivery], token: uuid.UUID) -> list[Outcome]:
    # The claim takes only deliveries of active webhooks: an inactive one's owed deliveries
    # wait, untouched, until it is active again.
    return list(_attempt(claimed, token, may_retry=True))


def redeliver(delivery_id: uuid.UUID) -> Outcome | None:
    """Send a delivery again now, as a manual attempt with the same delivery id.

    Whatever its state, except while a worker is sending it (then None). A delivery that was
    still owed keeps its remaining retries; a finished one gets this one attempt.
    """
    previous = Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
    token = uuid.uuid4()
    claimed = claim_many([delivery_id], token, manual=True)
    if not claimed:
        return None
    # Still owed (due, or claimed by a worker that died): it keeps its remaining retries.
    may_retry = previous in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    (outcome,) = _attempt(claimed, token, may_retry=may_retry, manual=True)
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
    data = {"webhook_id": webhook.pk, "message": "This is a test webhook from fluent-webhooks."}
    event = record_event(TEST_EVENT, data, user, fanned_out=True)
    now = timezone.now()
    token = uuid.uuid4()
    # Created already claimed, so that no worker or sweeper takes it up as well.
    delivery = Delivery.objects.create(
        event=event,
        webhook=webhook,
        status=DeliveryStatus.SENDING,
        locked_until=now + timedelta(seconds=conf.stuck_after),
        claim_token=token,
        claimed_at=now,
        next_attempt_at=now,
    )
    (outcome,) = _attempt([delivery], token, may_retry=False, manual=True, test=True)
    return TestOutcome(
        success=isinstance(outcome, Delivered),
        status_code=outcome.result.status_code,
        response_time=outcome.result.duration_ms,
        message=outcome.error or TEST_SUCCESS_MESSAGE,
    )


def _attempt(
    deliveries: list[Delivery],
    token: uuid.UUID,
    *,
    may_retry: bool,
    manual: bool = False,
    test: bool = False,
) -> list[AttemptOutcome]:
    """Build, send, decide and record, recording each group of answers as it comes.

    A ``test`` send's result does not count towards the webhook's run of failures."""
    lease = timedelta(seconds=conf.stuck_after)
    outcomes: list[AttemptOutcome] = []
    requests, unbuildable = _build_all(deliveries)
    answers = send_batch(
        requests,
        keep_alive=lambda: renew_claim(token, timezone.now() + lease),
        keep_alive_every=conf.stuck_after / 3,
    )
    for sent in chain([unbuildable] if unbuildable else [], answers):
        now = timezone.now()
        group = [
            decide(
                item.request.delivery.pk,
                item.request.delivery.webhook_id,
                item.result,
                attempt_number=item.request.delivery.attempt_count + 1,
                retry_count=item.request.delivery.webhook.retry_count,
                # A replayed delivery gets its one attempt, as a redelivered finished one does.
                may_retry=may_retry and not item.request.delivery.manual_next_attempt,
                now=now,
            )
            for item in sent
        ]
        record_attempts(sent, group, token=token, manual=manual, counted=not test)
        metrics.observe_attempts(sent, group, manual=manual)
        outcomes += group
    return outcomes


def _build_all(deliveries: list[Delivery]) -> tuple[list[OutgoingRequest], list[Sent]]:
    """The requests to send, and a failed attempt for each that could not even be built (a
    template whose output is too large, say): one bad delivery never stops its batch."""
    requests: list[OutgoingRequest] = []
    unbuildable: list[Sent] = []
    for delivery in deliveries:
        try:
            requests.append(build_request(delivery))
        except Exception as error:
            failure = HttpResult(
                status_code=None,
                duration_ms=0,
                failure=FailureKind.INVALID,
                error=f"Could not build the request: {error}",
            )
            empty = OutgoingRequest(delivery, delivery.webhook.url, b"", {})
            unbuildable.append(Sent(empty, timezone.now(), failure))
    return requests, unbuildable
