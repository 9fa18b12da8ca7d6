"""Who receives an event: a webhook's subscription history, written and read in one place.

A webhook receives exactly the events that happened (``Event.created_at``) while it existed,
was active and was subscribed to them, whenever the fan-out runs: a webhook created after an
event, while the broker was down, does not get it; one switched off after an event but before
its fan-out still does (the pipeline then cancels what an inactive webhook is owed, as it does
for any of its deliveries).

Its periods are written by ``record_changes``, which the webhook's ``save()`` and its
queryset's ``update()`` and ``bulk_create()`` call whenever ``status`` or ``events`` may have
changed; they are read by ``subscribers``, for the fan-out. Both sides take their times from
``timezone.now()`` in Python, as ``send_event`` does.

A change is stamped before it commits, so a fan-out could read the history while a change
stamped before its events is still uncommitted, and miss it. On PostgreSQL every change holds
a shared advisory lock until it commits, and the fan-out, once it has its events, waits (up
to ``CHANGES_WAIT`` seconds, without queueing for the lock, so it can never take part in a
deadlock) until no change is in progress: a change that takes the lock after that is stamped
after every event the fan-out holds, so does not concern them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from .choices import WebhookStatus
from .events.catalog import subscribes_to
from .models import SubscriptionPeriod, Webhook

#: The webhook fields whose change changes what it receives.
WATCHED_FIELDS = frozenset({"status", "events"})

#: An event the fan-out takes: ``(event_id, name, created_at)``.
HappenedEvent = tuple[int, str, datetime]

#: Seconds the fan-out waits for changes of webhooks in progress to commit; a transaction
#: kept open longer does not hold up deliveries: the fan-out goes by what is committed.
CHANGES_WAIT = 2.0
_POLL = 0.01

# The advisory lock held by changes in progress (its first key apart from backlog's claims).
_CHANGES_LOCK = (0x57EC, 0)

logger = logging.getLogger(__name__)


def record_changes(
    webhook_ids: Collection[int], *, using: str = DEFAULT_DB_ALIAS, now: datetime | None = None
) -> None:
    """Bring the open periods of these webhooks in line with their rows, as of ``now``.

    Call it in the transaction that changed the rows, after the change (whose row locks keep
    two changes of one webhook in order). A webhook whose status or events differ from its
    open period has that period closed and, if it is active and subscribed to anything, a
    new one opened; an unchanged one is left alone. Four statements at most, for any number.
    """
    if not webhook_ids:
        return
    with transaction.atomic(using=using):
        _hold_changes_lock(using)  # before the stamp: see the module's docstring
        now = now or timezone.now()
        rows = Webhook.objects.using(using).filter(pk__in=webhook_ids)
        wanted = {
            pk: _event_list(events)
            for pk, status, events in rows.values_list("pk", "status", "events")
            if status == WebhookStatus.ACTIVE and _event_list(events)
        }
        periods = SubscriptionPeriod.objects.using(using).filter(valid_until__isnull=True)
        current = dict(
            periods.filter(webhook_id__in=webhook_ids).values_list("webhook_id", "events")
        )
        ended = [pk for pk, events in current.items() if not _same(events, wanted.get(pk))]
        if ended:
            # Never before it began, should the clock have stepped back.
            periods.filter(webhook_id__in=ended).update(
                valid_until=Greatest("valid_from", Value(now))
            )
        SubscriptionPeriod.objects.using(using).bulk_create(
            SubscriptionPeriod(webhook_id=pk, events=events, valid_from=now)
            for pk, events in wanted.items()
            if pk not in current or pk in ended
        )


def subscribers(events: Sequence[HappenedEvent]) -> dict[int, list[int]]:
    """Per event id, the webhooks (ids, ascending) that were active and subscribed to it when
    it happened; one query for all of them."""
    if not events:
        return {}
    _wait_for_changes_in_progress()
    first = min(happened for _, _, happened in events)
    last = max(happened for _, _, happened in events)
    periods = list(
        SubscriptionPeriod.objects.filter(valid_from__lte=last)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=first))
        .order_by("webhook_id")
        .values_list("webhook_id", "events", "valid_from", "valid_until")
    )
    receivers: dict[int, list[int]] = {}
    for event_id, name, happened in events:
        found = [
            webhook_id
            for webhook_id, subscribed, start, end in periods
            if start <= happened
            and (end is None or happened < end)
            and subscribes_to(subscribed, name)
        ]
        # Periods of one webhook do not overlap; should they ever, one delivery all the same.
        receivers[event_id] = list(dict.fromkeys(found))
    return receivers


def _hold_changes_lock(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", _CHANGES_LOCK)


def _wait_for_changes_in_progress() -> None:
    """Return once no change of a webhook is in progress, or after ``CHANGES_WAIT``."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return
    # Taken and let go at once, never waited for: a change is never held up by it.
    sql = (
        "SELECT CASE WHEN pg_try_advisory_lock(%s, %s) "
        "THEN pg_advisory_unlock(%s, %s) ELSE false END"
    )
    deadline = time.monotonic() + CHANGES_WAIT
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [*_CHANGES_LOCK, *_CHANGES_LOCK])
            row = cursor.fetchone()
            if row is not None and row[0]:
                return
            if time.monotonic() >= deadline:
                logger.warning(
                    "A change of webhooks stayed uncommitted over %s s; fanning out by the "
                    "committed history.",
                    CHANGES_WAIT,
                )
                return
            time.sleep(_POLL)


def _event_list(events: Any) -> list[str]:
    return [str(name) for name in events] if isinstance(events, list) else []


def _same(events: Any, wanted: list[str] | None) -> bool:
    return wanted is not None and sorted(_event_list(events)) == sorted(wanted)
