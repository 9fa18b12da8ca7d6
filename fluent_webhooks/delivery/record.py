"""Writing down what was decided: attempts, deliveries and webhook health, in one commit.

Nothing here decides; ``decide`` did. Every delivery write is conditional on the claim it was
made under, so a worker whose claim expired cannot overwrite a newer result.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from .. import health
from ..choices import FINAL_DELIVERY_STATUSES, DeliveryStatus, WebhookStatus
from ..models import Attempt, Delivery, Webhook
from ..redaction import redact
from .decide import AttemptOutcome, Delivered, Failed, Gone
from .send import Sent

# A successful delivery refreshes last_triggered_at at most this often, so that a busy webhook's
# row is not written by every delivery.
_TRIGGER_RESOLUTION = timedelta(seconds=1)


@dataclass
class Tally:
    """One webhook's results in a group of answers: the outcome that speaks for it (the latest,
    or ``Gone``, which outranks the rest), and how many attempts failed and succeeded."""

    latest: AttemptOutcome
    failures: int = 0
    successes: int = 0


def record_attempts(
    sent: Sequence[Sent],
    outcomes: Sequence[AttemptOutcome],
    *,
    token: uuid.UUID,
    manual: bool = False,
    counted: bool = True,
) -> None:
    """Store each attempt, move each delivery on, and update each webhook once.

    ``counted``: whether the attempts count towards the webhooks' runs of failures (test
    sends do not: their payload is not an event the receiver was meant to take).

    An attempt's number is the next after those on record, read under the row lock (not from
    the copy the claim loaded); the database refuses a number twice for one delivery.
    """
    now = timezone.now()
    changes: dict[tuple[tuple[str, object], ...], list[uuid.UUID]] = {}
    tallies: dict[int, Tally] = {}
    for request, outcome in zip(sent, outcomes, strict=True):
        reason = outcome.reason if isinstance(outcome, Failed) else ""
        new_values = _delivery_values(outcome, reason, now)
        changes.setdefault(tuple(new_values.items()), []).append(request.request.delivery.pk)
        tally = tallies.setdefault(outcome.webhook_id, Tally(outcome))
        if not isinstance(tally.latest, Gone):
            tally.latest = outcome
        if outcome.error is None:
            tally.successes += 1
        else:
            tally.failures += 1
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
        notices = record_health(
            {w: t for w, t in tallies.items() if w in held_webhooks}, now, counted=counted
        )
        if notices:  # e-mails and the signal once this is committed, never inside it
            transaction.on_commit(partial(health.send_notices, notices))


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


def renew_claim(token: uuid.UUID, until: datetime) -> None:
    """Keep a claim that is still being worked on from being taken for a dead worker's."""
    Delivery.objects.filter(claim_token=token, status=DeliveryStatus.SENDING).update(
        locked_until=until
    )


def record_health(
    tallies: Mapping[int, Tally], now: datetime, *, counted: bool = True
) -> list[health.Notice]:
    """Per webhook: a success sets ``last_triggered_at``, clears ``last_error`` and ends the
    run of failures; a failure sets ``last_error`` and, if ``counted``, adds to the run (and
    starts it); ``Gone`` also deactivates, unless it answered a test send. ``health.judge``
    decides whether the run has earned a warning or a disable; those are returned, to be
    sent after the commit.
    ``update()``, so an admin's concurrent edit is not lost.

    The rows to change are locked first, in id order, so that two batches writing the same
    webhooks never wait for each other in a circle; the lock also reads the health columns
    the decision needs (no query per delivery). A success changes a row only when it was
    failing or last triggered over a second ago, so a busy webhook's row is seldom written.
    Then one UPDATE per kind of change, not one per webhook.
    """
    failing = [w for w, tally in tallies.items() if tally.latest.error is not None]
    succeeded = [w for w, tally in tallies.items() if tally.latest.error is None]
    stale_success = (
        Q(last_error__isnull=False)
        | Q(failing_since__isnull=False)
        | Q(consecutive_failures__gt=0)
        | Q(last_triggered_at__isnull=True)
        | Q(last_triggered_at__lt=now - _TRIGGER_RESOLUTION)
    )
    rows = Webhook.objects.filter(Q(pk__in=failing) | (Q(pk__in=succeeded) & stale_success))
    standings: dict[int, health.Standing] = {}
    if not failing and len(tallies) == 1:  # one row: its UPDATE takes the only lock there is
        to_change = set(tallies)
    else:
        locked = rows.select_for_update().order_by("pk").values_list("pk", *_STANDING)
        standings = {pk: health.Standing(*columns) for pk, *columns in locked}
        to_change = set(standings)
    if not to_change:
        return []
    refreshed = [w for w in succeeded if w in to_change]
    if refreshed:
        ended = health.RECOVERED if counted else {}
        rows.filter(pk__in=refreshed).update(last_triggered_at=now, last_error=None, **ended)
    notices: list[health.Notice] = []
    groups: dict[tuple[str, int, bool], list[int]] = {}
    for webhook_id in failing:
        standing = standings.get(webhook_id)
        if standing is None:  # deleted meanwhile
            continue
        tally = tallies[webhook_id]
        error = tally.latest.error or ""
        # A success in the same group means the receiver answers: the run is over.
        failures = tally.failures if counted and not tally.successes else 0
        notice = _judged(webhook_id, standing, tally, failures, now, counted=counted)
        if notice is not None:  # rare: a row of its own
            notices.append(notice)
            continue
        groups.setdefault((error, failures, counted and tally.successes > 0), []).append(webhook_id)
    for (error, failures, recovered), webhook_ids in groups.items():
        values: dict[str, Any] = {"last_error": error}
        if failures:
            # Capped before the addition, which would overflow the integer column otherwise.
            values["consecutive_failures"] = (
                Least(F("consecutive_failures"), Value(health.MAX_COUNTED - failures)) + failures
            )
            values["failing_since"] = Coalesce("failing_since", Value(now))
        elif recovered:
            values.update(health.RECOVERED)
        Webhook.objects.filter(pk__in=webhook_ids).update(**values)
    return notices


# The health columns a failure's decision reads, in ``health.Standing``'s order.
_STANDING = ("status", "consecutive_failures", "failing_since", "warned_at")


def _judged(
    webhook_id: int,
    standing: health.Standing,
    tally: Tally,
    failures: int,
    now: datetime,
    *,
    counted: bool,
) -> health.Notice | None:
    """Write a failure that deactivates or warns, and return its notice; None for any other.
    A test send's 410 (not ``counted``) is reported to whoever sent it, and changes nothing
    else: a receiver still being set up may answer anything."""
    error = tally.latest.error or ""
    gone = counted and isinstance(tally.latest, Gone) and standing.status == WebhookStatus.ACTIVE
    verdict = health.Verdict.DISABLE if gone else None
    if failures and not gone:
        verdict = health.judge(standing, failures, now)
    if verdict is None:
        return None
    total, since = standing.after(failures, now)
    values: dict[str, Any] = {"last_error": error}
    if failures:
        values.update(consecutive_failures=total, failing_since=since)
    if verdict is health.Verdict.WARN:
        values["warned_at"] = now
        reason = ""
    else:
        reason = health.GONE_REASON if gone else health.disabled_reason(total, since, now)
        values.update(status=WebhookStatus.INACTIVE, disabled_at=now, disabled_reason=reason)
    Webhook.objects.filter(pk=webhook_id).update(**values)
    return health.Notice(verdict, webhook_id, total, since, error, reason)


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
