"""What is owed, waiting and stuck right now, read from the database.

One owner for these queries: ``manage.py webhooks status`` prints them and the Prometheus
collector (``metrics/collector.py``) exposes them as gauges. Each figure is one aggregate
query that the tables' indexes serve; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from .choices import DeliveryStatus, WebhookStatus
from .conf import conf
from .models import Delivery, Event, Webhook


@dataclass(frozen=True)
class Waiting:
    """How many rows are in a state, and since when the oldest has been (None: no row)."""

    count: int
    since: datetime | None

    def age(self, now: datetime) -> float:
        """Seconds since ``since``; 0 when nothing waits."""
        return max((now - self.since).total_seconds(), 0.0) if self.since else 0.0


@dataclass(frozen=True)
class Backlog:
    now: datetime
    #: Events whose fan-out no live broker message carries (``Event.objects.owed``), since
    #: the oldest was created.
    events_owed: Waiting
    #: Deliveries due and not handed out (``Delivery.objects.owed``), since the oldest was due.
    deliveries_owed: Waiting
    #: Deliveries in ``sending`` whose claim lapsed (its worker stopped renewing it), since the
    #: oldest claim lapsed.
    claims_stuck: Waiting
    #: Unfinished deliveries, since the oldest of each was created.
    pending: Waiting
    sending: Waiting
    #: Inactive webhooks, and those of them the app (not a person) disabled.
    webhooks_inactive: int
    webhooks_disabled: int

    def overdue(self, max_age: float) -> dict[str, float]:
        """The kinds of owed work whose oldest item has waited longer than ``max_age`` s."""
        ages = {
            "events_owed": self.events_owed.age(self.now),
            "deliveries_owed": self.deliveries_owed.age(self.now),
            "claims_stuck": self.claims_stuck.age(self.now),
        }
        return {kind: age for kind, age in ages.items() if age > max_age}


def backlog(now: datetime | None = None) -> Backlog:
    """The backlog now: owed events and deliveries, stuck claims, unfinished deliveries."""
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=conf.stuck_after)
    unfinished = {
        row["status"]: Waiting(row["count"], row["since"])
        for row in Delivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        )
        .order_by()
        .values("status")
        .annotate(count=Count("pk"), since=Min("created_at"))
    }
    webhooks = Webhook.objects.filter(status=WebhookStatus.INACTIVE).aggregate(
        inactive=Count("pk"), disabled=Count("pk", filter=Q(disabled_at__isnull=False))
    )
    return Backlog(
        now=now,
        events_owed=_waiting(Event.objects.owed(stuck_before), "created_at"),
        deliveries_owed=_waiting(Delivery.objects.owed(now, stuck_before), "next_attempt_at"),
        claims_stuck=_waiting(
            Delivery.objects.filter(status=DeliveryStatus.SENDING, locked_until__lt=now),
            "locked_until",
        ),
        pending=unfinished.get(DeliveryStatus.PENDING, Waiting(0, None)),
        sending=unfinished.get(DeliveryStatus.SENDING, Waiting(0, None)),
        webhooks_inactive=webhooks["inactive"],
        webhooks_disabled=webhooks["disabled"],
    )


def deliveries_by_status() -> dict[str, int]:
    """Every delivery status with its count (0 for none); counts the whole table."""
    counts = {
        row["status"]: row["count"]
        for row in Delivery.objects.order_by().values("status").annotate(count=Count("pk"))
    }
    return {status: counts.get(status, 0) for status in DeliveryStatus.values}


def _waiting(rows: QuerySet[Event] | QuerySet[Delivery], since: str) -> Waiting:
    found = rows.order_by().aggregate(count=Count("pk"), since=Min(since))
    return Waiting(found["count"], found["since"])
