"""Writing down what was decided: attempts, deliveries and webhook health, in one commit.

Nothing here decides; ``decide`` did. Every delivery write is conditional on the claim it was
made under, so a worker whose claim expired cannot overwrite a newer result.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..choices import FINAL_DELIVERY_STATUSES, DeliveryStatus, WebhookStatus
from ..models import Attempt, Delivery, Webhook
from ..redaction import redact
from .decide import AttemptOutcome, Delivered, Failed, Gone
from .send import Sent

# A successful delivery refreshes last_triggered_at at most this often, so that a busy webhook's
# row is not written by every delivery.
_TRIGGER_RESOLUTION = timedelta(seconds=1)


def record_attempts(
    sent: Sequence[Sent],
    outcomes: Sequence[AttemptOutcome],
    *,
    token: uuid.UUID,
    manual: bool = False,
) -> None:
    """Store each attempt, move each delivery on, and update each webhook once.

    An attempt's number is the next after those on record, read under the row lock (not from
    the copy the claim loaded); the database refuses a number twice for one delivery.
    """
    now = timezone.now()
    changes: dict[tuple[tuple[str, object], ...], list[uuid.UUID]] = {}
    health: dict[int, AttemptOutcome] = {}
    for request, outcome in zip(sent, outcomes, strict=True):
        reason = outcome.reason if isinstance(outcome, Failed) else ""
        new_values = _delivery_values(outcome, reason, now)
        changes.setdefault(tuple(new_values.items()), []).append(request.request.delivery.pk)
        # The reason for deactivating outranks any other result of the batch.
        if not isinstance(health.get(outcome.webhook_id), Gone):
            health[outcome.webhook_id] = outcome
    with transaction.atomic():
        # Only what this claim still holds: a delivery whose webhook was deleted meanwhile, or
        # whose claim lapsed and was taken by another worker, is not written (the row locks
        # keep a concurrent delete out until this commits).
        held: dict[uuid.UUID, int] = dict(
            Delivery.objects.select_for_update()
            .filter(pk__in=[item.request.delivery.pk for item in sent], claim_token=token)
            .values_list("pk", "attempt_count")
        )
        Attempt.objects.bulk_create(
            _attempt_record(request, outcome, held[request.request.delivery.pk] + 1, manual)
            for request, outcome in zip(sent, outcomes, strict=True)
            if request.request.delivery.pk in held
        )
        # One UPDATE per set of identical new values: a batch that went well is one statement.
        # (Django's bulk_update builds a CASE per row and field, which costs more than sending.)
        for values, ids in changes.items():
            mine = [pk for pk in ids if pk in held]
            if mine:
                Delivery.objects.filter(pk__in=mine).update(
                    attempt_count=F("attempt_count") + 1, **dict(values)
                )
        # Only webhooks with a delivery this claim still held (one deleted meanwhile has none).
        held_webhooks = {d.webhook_id for d in (i.request.delivery for i in sent) if d.pk in held}
        record_health({w: o for w, o in health.items() if w in held_webhooks}, now)


def _attempt_record(request: Sent, outcome: AttemptOutcome, number: int, manual: bool) -> Attempt:
    delivery = request.request.delivery
    return Attempt(
        delivery_id=delivery.pk,
        number=number,
        manual=manual or delivery.manual_next_attempt,
        started_at=request.started_at,
        duration_ms=request.result.duration_ms,
        succeeded=isinstance(outcome, Delivered),
        status_code=request.result.status_code,
        error=outcome.reason if isinstance(outcome, Failed) else "",
        response_excerpt=request.result.body_excerpt,
        # A webhook's custom headers may be credentials under any name (X-Pass,
        # X-Shopify-Hmac-Sha256...): none of their values is stored, nor a signature.
        request_headers=redact(request.request.headers, delivery.webhook.headers),
    )


def cancel(delivery_ids: list[uuid.UUID], reason: str, *, token: uuid.UUID) -> None:
    """Close deliveries that will not be sent (their webhook was switched off)."""
    Delivery.objects.filter(pk__in=delivery_ids, claim_token=token).update(
        status=DeliveryStatus.CANCELLED,
        last_error=reason,
        locked_until=None,
        claim_token=None,
        completed_at=timezone.now(),
    )


def renew_claim(token: uuid.UUID, until: datetime) -> None:
    """Keep a claim that is still being worked on from being taken for a dead worker's."""
    Delivery.objects.filter(claim_token=token, status=DeliveryStatus.SENDING).update(
        locked_until=until
    )


def record_health(outcomes: dict[int, AttemptOutcome], now: datetime) -> None:
    """Per webhook, its latest outcome: a success sets ``last_triggered_at`` and clears
    ``last_error``; a failure sets ``last_error``; ``Gone`` also deactivates. ``update()``, so
    an admin's concurrent edit is not lost.

    The rows to change are locked first, in id order, so that two batches writing the same
    webhooks never wait for each other in a circle; a success changes a row only when it
    was failing or last triggered over a second ago, so a busy webhook's row is seldom
    written. Then one UPDATE per kind of change, not one per webhook.
    """
    failing = [w for w, outcome in outcomes.items() if outcome.error is not None]
    succeeded = [w for w, outcome in outcomes.items() if outcome.error is None]
    stale_success = (
        Q(last_error__isnull=False)
        | Q(last_triggered_at__isnull=True)
        | Q(last_triggered_at__lt=now - _TRIGGER_RESOLUTION)
    )
    rows = Webhook.objects.filter(Q(pk__in=failing) | (Q(pk__in=succeeded) & stale_success))
    if len(outcomes) == 1:  # one row: its UPDATE takes the only lock there is to take
        to_change = set(outcomes)
    else:
        to_change = set(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
    if not to_change:
        return
    refreshed = [w for w in succeeded if w in to_change]
    if refreshed:
        rows.filter(pk__in=refreshed).update(last_triggered_at=now, last_error=None)
    failed: dict[tuple[str, bool], list[int]] = {}
    for webhook_id in failing:
        outcome = outcomes[webhook_id]
        if webhook_id in to_change and outcome.error is not None:
            failed.setdefault((outcome.error, isinstance(outcome, Gone)), []).append(webhook_id)
    for (error, gone), webhook_ids in failed.items():
        webhooks = Webhook.objects.filter(pk__in=webhook_ids)
        if gone:
            webhooks.update(status=WebhookStatus.INACTIVE, last_error=error)
        else:
            webhooks.update(last_error=error)


def _delivery_values(outcome: AttemptOutcome, reason: str, now: datetime) -> dict[str, object]:
    values: dict[str, object] = {
        "status": outcome.status,
        "last_status_code": outcome.result.status_code,
        "last_error": reason,
        "locked_until": None,
        "claim_token": None,
        "manual_next_attempt": False,
        "completed_at": now if outcome.status in FINAL_DELIVERY_STATUSES else None,
    }
    if outcome.next_attempt_at is not None:  # only a retry moves the due time
        values["next_attempt_at"] = outcome.next_attempt_at
    return values
