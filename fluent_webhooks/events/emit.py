"""``send_event``: one row in the outbox, in the caller's transaction; dispatch does the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from ..dispatch import handoff
from ..exceptions import UnknownEvent
from ..models import Event
from .catalog import registry
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
    event = record_event(name, data, user, using=using)
    handoff.hand_off_on_commit(event.pk, using)
    return event


def record_event(
    name: str,
    data: Mapping[str, Any],
    user: Any = None,
    *,
    using: str = DEFAULT_DB_ALIAS,
    fanned_out: bool = False,
) -> Event:
    """Write the event with its exact body, built once for every webhook that receives it.

    ``fanned_out`` records an event that is delivered by other means than the fan-out (the
    test send), so the fan-out never takes it up.
    """
    now = timezone.now()
    body = serialize_payload(build_payload(name, data, build_xprofile(user), now))
    return Event.objects.using(using).create(
        name=name, body=body, created_at=now, fanned_out_at=now if fanned_out else None
    )
