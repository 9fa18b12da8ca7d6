"""When committed events go to the broker: at once, or after a WSGI response.

Publishing a Celery message costs about half a millisecond. In a WSGI request the events a
request commits are collected and handed off together when Django sends ``request_finished``,
which WSGI servers do once the response has gone out, so the client does not wait for the
broker. Everywhere else (ASGI, commands, tasks, the shell) they are handed off as soon as their
transaction commits. An event's ``enqueued_at`` is presumed when it is written; a hand-off that
fails clears it, and the sweep takes the event up. Nothing here raises into the caller: if
clearing it fails too, the sweep takes the event up once its hand-off is ``STUCK_AFTER`` old.
"""

from __future__ import annotations

import logging
import threading
from functools import partial
from typing import Any

from django.db import transaction

from ..models import Event
from . import broker

logger = logging.getLogger(__name__)
_local = threading.local()


def request_started(sender: Any, environ: Any = None, **kwargs: Any) -> None:
    # Only WSGI passes environ; under ASGI request_finished may run in another thread.
    _local.pending = [] if environ is not None else None


def request_finished(sender: Any, **kwargs: Any) -> None:
    pending = getattr(_local, "pending", None)
    _local.pending = None
    if pending:
        flush(pending)


def hand_off_on_commit(event_id: int, using: str) -> None:
    transaction.on_commit(partial(after_commit, event_id, using), using=using)


def after_commit(event_id: int, using: str) -> None:
    """Hand off a committed event, or hold it for the end of the current WSGI request."""
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.append((event_id, using))
    else:
        flush([(event_id, using)])


def flush(events: list[tuple[int, str]]) -> None:
    """Ask for the events' fan-out; if the broker refuses, mark them for the sweeper."""
    if broker.request_fan_out([event_id for event_id, _ in events]):
        return
    by_database: dict[str, list[int]] = {}
    for event_id, using in events:
        by_database.setdefault(using, []).append(event_id)
    for using, ids in by_database.items():
        try:
            Event.objects.using(using).filter(pk__in=ids).update(enqueued_at=None)
        except Exception:
            # This runs after the caller's commit, inside its code: never raise there. The
            # events keep enqueued_at, and the sweep re-hands those stuck for STUCK_AFTER.
            logger.exception(
                "Could not mark events %s owed after the broker refused them; "
                "left for the sweeper.",
                ids,
            )
