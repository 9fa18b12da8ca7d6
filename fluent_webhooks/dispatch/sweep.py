"""The sweep: hand out what the database says is owed and no broker message carries.

Run by Celery beat (``fluent_webhooks.sweep``) and by ``manage.py sweep_webhooks``. What it
takes is marked handed out in the same transaction that selects it (``SKIP LOCKED``), so two
sweeps do not hand out the same work; a broker that lost its messages (restarted, flushed) is
noticed at once and everything owed is handed out again, instead of after ``STUCK_AFTER``.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from .. import backlog
from ..backlog import OwedWork
from ..models import Delivery, Event
from . import broker
from .deliveries import hand_out

logger = logging.getLogger(__name__)


def collect_owed(*, everything: bool = False, limit: int = backlog.SWEEP_BATCH) -> OwedWork:
    """Take what is owed, marking it handed out now so that the next sweep leaves it."""
    now = timezone.now()
    with transaction.atomic():
        owed = backlog.find_owed(everything=everything, limit=limit, lock=True)
        Event.objects.filter(pk__in=owed.event_ids).update(enqueued_at=now)
        Delivery.objects.filter(pk__in=owed.delivery_ids).update(enqueued_at=now)
    return owed


def sweep() -> dict[str, int]:
    """Hand out everything the database says is owed; returns how much."""
    try:
        everything = broker.messages_lost()
    except Exception:
        broker.log_publish_failure("nothing swept")
        return {"events": 0, "deliveries": 0}
    if everything:
        logger.warning("The broker lost its messages (restart or flush): handing out again.")
    owed = collect_owed(everything=everything)
    events_handed = not owed.event_ids or broker.request_fan_out(owed.event_ids)
    if not events_handed:
        Event.objects.filter(pk__in=owed.event_ids).update(enqueued_at=None)
    handed = hand_out(owed.deliveries)
    return {"events": len(owed.event_ids) if events_handed else 0, "deliveries": len(handed)}
