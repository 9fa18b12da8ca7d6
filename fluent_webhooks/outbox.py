"""Emitting events: one row in the outbox, in the caller's transaction; fan-out comes later."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from .events import registry
from .exceptions import UnknownEvent
from .models import Event
from .payloads import build_payload, serialize_payload
from .xprofile import build_xprofile

logger = logging.getLogger(__name__)


def send_event(
    name: str, data: Mapping[str, Any], user: Any = None, *, using: str = DEFAULT_DB_ALIAS
) -> Event:
    """Record event ``name`` for every webhook subscribed to it.

    The event is written in the current transaction: if it rolls back, nothing is delivered;
    once it commits, the event is handed to Celery and, should that fail, to the sweeper.
    """
    if name not in registry:
        raise UnknownEvent(f"Unknown event {name!r}; register it in the event registry first.")
    now = timezone.now()
    body = serialize_payload(build_payload(name, data, build_xprofile(user), now))
    # enqueued_at is set in hope; a failed hand-off clears it, so the common path costs one insert.
    event = Event.objects.using(using).create(name=name, body=body, created_at=now, enqueued_at=now)
    transaction.on_commit(partial(_hand_off, event.pk, using), using=using)
    return event


def _hand_off(event_id: int, using: str) -> None:
    from .tasks import hand_off_event

    if not hand_off_event(event_id):
        Event.objects.using(using).filter(pk=event_id).update(enqueued_at=None)
