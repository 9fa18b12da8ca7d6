"""Publishing to the broker by task name, and what a Redis broker can tell us.

Tasks are published by name, so nothing here imports ``tasks``. A publish tries once against a
connection that is up, or fails at once: without that, kombu retries a lost broker connection
for several seconds on every publish, and an outage would hold up each request that emits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from celery import current_app

logger = logging.getLogger(__name__)

FAN_OUT_TASK = "fluent_webhooks.fan_out"
DELIVER_TASK = "fluent_webhooks.deliver"
REDELIVER_TASK = "fluent_webhooks.redeliver"
# Redis lists per priority are read lowest number first: deliveries go ahead of fan-outs, so a
# burst of new events does not hold back what is ready to send.
DELIVERY_PRIORITY = 0
FAN_OUT_PRIORITY = 6

# Set while a fan-out message is on its way: further events ride along with it instead of
# each sending one. It expires, so a lost message holds nothing up for longer than that.
_FAN_OUT_PENDING_KEY = "fluent_webhooks:fan-out-pending"
_FAN_OUT_PENDING_MS = 10_000
# Present while the broker still holds what we published; missing after a restart or FLUSHALL.
_EPOCH_KEY = "fluent_webhooks:broker-epoch"


class Publisher:
    """A pooled producer whose connection is up, for one or several publishes."""

    def __init__(self, producer: Any) -> None:
        self._producer = producer

    def publish(self, task_name: str, args: Sequence[Any], **options: Any) -> None:
        current_app.send_task(
            task_name, args=list(args), producer=self._producer, retry=False, **options
        )

    @property
    def redis(self) -> Any | None:
        """The broker's Redis client, or None for another transport."""
        connection = self._producer.connection
        if getattr(connection.transport, "driver_type", None) != "redis":
            return None
        return self._producer.channel.client


@contextmanager
def publisher() -> Iterator[Publisher]:
    """A publisher whose connection is up, or an error at once."""
    with current_app.producer_pool.acquire(block=True) as producer:
        assert producer.connection is not None
        producer.connection.ensure_connection(max_retries=0)
        yield Publisher(producer)


def request_fan_out(event_ids: list[int]) -> bool:
    """Make sure a fan-out message is on its way for ``event_ids``; False if the broker could
    not take one.

    On Redis, one message serves every event committed before its task starts: an event
    committed while one is pending rides along with it (``fan_out_started`` clears the mark
    before the task reads the owed events, so none is missed).
    """
    try:
        with publisher() as broker:
            redis = broker.redis
            if redis is not None and not redis.set(
                _FAN_OUT_PENDING_KEY, "1", nx=True, px=_FAN_OUT_PENDING_MS
            ):
                return True
            try:
                broker.publish(FAN_OUT_TASK, (event_ids,), priority=FAN_OUT_PRIORITY)
            except Exception:
                if redis is not None:
                    redis.delete(_FAN_OUT_PENDING_KEY)
                raise
    except Exception:
        logger.warning("Broker unavailable; events left for the sweeper.", exc_info=True)
        return False
    return True


def fan_out_started() -> None:
    """Called by the fan-out task before it reads owed events: later ones need a new message."""
    try:
        with publisher() as broker:
            if broker.redis is not None:
                broker.redis.delete(_FAN_OUT_PENDING_KEY)
    except Exception:
        logger.warning("Broker unavailable; could not clear the fan-out mark.", exc_info=True)


def messages_lost() -> bool:
    """Whether the broker lost what was published to it (a restart, a FLUSHALL) since the
    last call. Only a Redis broker can tell; for others, False."""
    with publisher() as broker:
        redis = broker.redis
        if redis is None:
            return False
        return bool(redis.set(_EPOCH_KEY, "1", nx=True))
