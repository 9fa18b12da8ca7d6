"""Emitting events: one row in the outbox, in the caller's transaction; fan-out comes later."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from . import handoff
from .events import registry
from .exceptions import UnknownEvent
from .models import Event
from .payloads import build_payload, serialize_payload
from .xprofile import build_xprofile


def send_event(
    name: str, data: Mapping[str, Any], user: Any = None, *, using: str = DEFAULT_DB_ALIAS
) -> Event:
    """Record event ``name`` for every webhook subscribed to it.

    The event is written in the current transaction: if it rolls back, nothing is delivered;
    once it commits, the event is handed to Celery (after the response, in a WSGI request) and,
    should that fail, to the sweeper.
    """
    if name not in registry:
        raise UnknownEvent(f"Unknown event {name!r}; register it in the event registry first.")
    now = timezone.now()
    body = serialize_payload(build_payload(name, data, build_xprofile(user), now))
    # enqueued_at is set in hope; a failed hand-off clears it, so the common path costs one insert.
    event = Event.objects.using(using).create(name=name, body=body, created_at=now, enqueued_at=now)
    transaction.on_commit(partial(handoff.after_commit, event.pk, using), using=using)
    return event
