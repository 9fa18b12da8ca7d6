"""Events at a steady rate from this process, each in a transaction of its own, as a site
emits them. An emit that PostgreSQL refused (it was down) is no loss of the system's: it is
emitted again once the database is back, and counted apart."""

from __future__ import annotations

import logging
import time
from contextlib import suppress
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

EVENT = "feed.created"
# Seconds between tries of the emits the database refused.
RETRY_EVERY = 0.5


@dataclass
class Emission:
    """What the emitter did; times are ``time.monotonic()``."""

    started_at: float
    ended_at: float = 0.0
    emitted: set[int] = field(default_factory=set)  # numbers of the events committed
    deferred: set[int] = field(default_factory=set)  # first refused, emitted later (or not)
    refusals: int = 0  # emits the database refused, retries included

    @property
    def duration(self) -> float:
        return self.ended_at - self.started_at


def emit_steadily(
    emission: Emission, events: int, rate: float, catch_up_for: float = 120.0
) -> None:
    """Emit events 0 .. events-1 at ``rate`` a second from ``emission.started_at``, retry the
    refused ones until they commit, for at most ``catch_up_for`` seconds after the last one
    was due; record it all in ``emission``."""
    refused: list[int] = []
    retry_at = 0.0
    for seq in range(events):
        _sleep_until(emission.started_at + seq / rate)
        if refused and time.monotonic() >= retry_at:
            refused = _emit_all(refused, emission)
            retry_at = time.monotonic() + RETRY_EVERY
        if _emit(seq):
            emission.emitted.add(seq)
        else:
            emission.deferred.add(seq)
            emission.refusals += 1
            refused.append(seq)
            retry_at = time.monotonic() + RETRY_EVERY
    deadline = time.monotonic() + catch_up_for
    while refused and time.monotonic() < deadline:
        time.sleep(RETRY_EVERY)
        refused = _emit_all(refused, emission)
    emission.ended_at = time.monotonic()


def _emit_all(seqs: list[int], emission: Emission) -> list[int]:
    """Emit ``seqs`` in order, stopping at the first refusal; returns those still refused."""
    for index, seq in enumerate(seqs):
        if not _emit(seq):
            emission.refusals += 1
            return seqs[index:]
        emission.emitted.add(seq)
    return []


def _emit(seq: int) -> bool:
    from django.db import Error, connection, transaction

    from fluent_webhooks.outbox import send_event

    try:
        with transaction.atomic():
            send_event(EVENT, {"id": seq, "title": "fault benchmark"})
    except Error as error:
        logger.info("Event %s refused: %s", seq, error)
        # A connection PostgreSQL dropped stays broken until closed: outside requests,
        # Django never closes it by itself.
        with suppress(Exception):
            connection.close()
        return False
    return True


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
