"""Replaying a webhook's deliveries of a time window: the one owner, for the API and the CLI.

Each (event, webhook) has exactly one delivery, so a replay re-opens deliveries rather than
making new ones: matching finished deliveries are set back to pending and due, oldest event
first, and handed to the worker, whose usual claim takes them. Deliveries still pending or
sending are left alone, so a replay repeated while the first runs adds no work. The next
attempt of a replayed delivery is recorded as manual and is its only one (no retries), as
for a redelivery of a finished delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone

from ..choices import FINAL_DELIVERY_STATUSES, DeliveryStatus
from ..conf import conf
from ..events.catalog import TEST_EVENT, registry
from ..exceptions import FluentWebhooksError
from ..formats import parse_api_datetime
from ..models import Delivery, Event, Webhook
from .deliveries import hand_out

#: Deliveries re-opened and handed out per transaction (and per progress report).
CHUNK = 500

DATETIME_HELP = "a datetime like '2024-01-15 10:30:00' (UTC) or ISO 8601"


class ReplayInvalid(FluentWebhooksError, ValueError):
    """A replay that cannot be made, with a message per field as the API reports them."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ReplayRequest:
    since: datetime
    until: datetime
    #: Event names to replay; empty: every event.
    events: tuple[str, ...] = ()
    #: Only deliveries that did not succeed (failed or cancelled).
    only_failed: bool = False


@dataclass(frozen=True)
class ReplayResult:
    #: Deliveries of the window and events (and, with ``only_failed``, not succeeded).
    matched: int
    #: Those this replay handed to the worker.
    queued: int

    @property
    def already_queued(self) -> int:
        """Matched deliveries that were still owed or being sent, and so left alone."""
        return self.matched - self.queued


def clean_replay(values: Mapping[str, object], *, now: datetime | None = None) -> ReplayRequest:
    """A replay as a client asked for it: ``since`` (required), ``until`` (default now),
    ``events`` (catalog names; default all), ``only_failed`` (default false)."""
    errors: dict[str, str] = {}
    since = parse_api_datetime(values.get("since"))
    if since is None:
        errors["since"] = f"Give since as {DATETIME_HELP}."
    until: datetime | None = now or timezone.now()
    if values.get("until") is not None:
        until = parse_api_datetime(values.get("until"))
        if until is None:
            errors["until"] = f"Give until as {DATETIME_HELP}."
    if since is not None and until is not None and until < since:
        errors["until"] = "until must not be before since."
    events = values.get("events")
    if events is None:
        events = []
    elif events == []:
        # A client whose filter came out empty means "none", not "all": leave it out for all.
        errors["events"] = "events must not be empty: leave it out to replay every event."
    elif (
        not isinstance(events, list)
        or not all(isinstance(name, str) for name in events)
        or any(name not in registry for name in events)
    ):
        errors["events"] = "events must be a list of event names from the catalog."
    only_failed = values.get("only_failed", False)
    if not isinstance(only_failed, bool):
        errors["only_failed"] = "only_failed must be true or false."
    if errors:
        raise ReplayInvalid(errors)
    assert since is not None
    assert until is not None
    assert isinstance(events, list)
    return ReplayRequest(since, until, tuple(dict.fromkeys(events)), bool(only_failed))


def matching(webhook: Webhook, request: ReplayRequest) -> QuerySet[Delivery]:
    """The webhook's deliveries a replay covers, oldest event first (test sends never)."""
    deliveries = Delivery.objects.filter(
        webhook=webhook,
        event__created_at__gte=request.since,
        event__created_at__lte=request.until,
    ).exclude(event__name=TEST_EVENT)
    if request.events:
        deliveries = deliveries.filter(event__name__in=request.events)
    if request.only_failed:
        deliveries = deliveries.exclude(status=DeliveryStatus.SUCCEEDED)
    return deliveries.order_by("event__created_at", "event_id")


def outcome_counts(webhook: Webhook, request: ReplayRequest) -> dict[str, int]:
    """How many deliveries ``request`` matches are still owed, have succeeded, have failed."""
    by_status = dict(
        matching(webhook, request).order_by().values_list("status").annotate(Count("pk"))
    )
    return {
        "owed": by_status.get(DeliveryStatus.PENDING, 0) + by_status.get(DeliveryStatus.SENDING, 0),
        "succeeded": by_status.get(DeliveryStatus.SUCCEEDED, 0),
        "failed": by_status.get(DeliveryStatus.FAILED, 0)
        + by_status.get(DeliveryStatus.CANCELLED, 0),
    }


def replay(
    webhook: Webhook,
    request: ReplayRequest,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Re-open and hand out the finished deliveries ``request`` matches, oldest event first.

    Refused (``ReplayInvalid``) for an inactive webhook, or over ``REPLAY_MAX`` matches, before
    anything changes. ``progress(done, total)`` is called after each chunk.
    """
    if not webhook.is_active:
        raise ReplayInvalid({"status": "The webhook is inactive: activate it, then replay."})
    deliveries = matching(webhook, request)
    matched = deliveries.count()
    if matched > conf.replay_max:
        raise ReplayInvalid(
            {
                "body": f"{matched} deliveries match; a replay re-sends at most "
                f"{conf.replay_max} (REPLAY_MAX). Narrow since, until or events."
            }
        )
    finished = list(
        deliveries.filter(status__in=FINAL_DELIVERY_STATUSES).values_list("pk", flat=True)
    )
    queued = 0
    for start in range(0, len(finished), CHUNK):
        queued += len(_reopen_and_hand_out(webhook.pk, finished[start : start + CHUNK]))
        if progress is not None:
            progress(min(start + CHUNK, len(finished)), len(finished))
    return ReplayResult(matched=matched, queued=queued)


def _reopen_and_hand_out(webhook_id: int, delivery_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Set the chunk's deliveries that are still finished back to pending, due since their
    event happened (so every oldest-first reader, the sweep and parked work included, takes
    them in event order); hand those out. A concurrent replay waits on the row locks and then
    finds them no longer finished: each is re-opened once."""
    with transaction.atomic():
        won = list(
            Delivery.objects.select_for_update(of=("self",))
            .filter(pk__in=delivery_ids, status__in=FINAL_DELIVERY_STATUSES)
            .order_by("event__created_at", "event_id")
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=won).update(
            status=DeliveryStatus.PENDING,
            manual_next_attempt=True,
            next_attempt_at=Subquery(
                Event.objects.filter(pk=OuterRef("event_id")).values("created_at")[:1]
            ),
            completed_at=None,
            locked_until=None,
            claim_token=None,
            # Presumed handed out, as a fan-out presumes; ``hand_out`` clears it if the broker
            # cannot take them, and the sweep then does.
            enqueued_at=timezone.now(),
        )
    hand_out([(webhook_id, pk) for pk in won])
    return won
