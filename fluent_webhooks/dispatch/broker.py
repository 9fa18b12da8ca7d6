"""Publishing to the broker by task name, and what a Redis broker can tell us.

Tasks are published by name, so nothing here imports ``tasks``. A publish tries once against a
connection that is up, or fails at once: without that, kombu retries a lost broker connection
for several seconds on every publish, and an outage would hold up each request that emits.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from celery import current_app

from ..exceptions import ConfigurationError

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


# The Celery extra that brings a transport's packages, by broker URL scheme.
_TRANSPORT_EXTRAS = {"redis": "redis", "rediss": "redis", "sentinel": "redis", "sqs": "sqs"}


class BrokerTransportMissing(ConfigurationError):
    """Celery's transport for the broker cannot be imported: a package is missing, which is an
    installation to fix, not an outage to wait out."""

    def __init__(self, broker_url: str, error: ImportError) -> None:
        scheme = broker_url.split("://", 1)[0].split("+", 1)[0] or "amqp"
        extra = _TRANSPORT_EXTRAS.get(scheme)
        remedy = (
            f"pip install 'celery[{extra}]'"
            if extra
            else f"install the packages of Celery's {scheme!r} transport"
        )
        super().__init__(
            f"Celery cannot load its {scheme!r} broker transport ({error}): {remedy} "
            "(fluent-webhooks' own dependencies include celery[redis])."
        )


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
    """A publisher whose connection is up, or an error at once: ``BrokerTransportMissing``
    when the transport's packages are not installed."""
    try:
        acquired = current_app.producer_pool.acquire(block=True)
    except ImportError as error:  # kombu imports the transport with the first connection
        raise BrokerTransportMissing(str(current_app.conf.broker_url), error) from error
    with acquired as producer:
        assert producer.connection is not None
        producer.connection.ensure_connection(max_retries=0)
        yield Publisher(producer)


def log_publish_failure(consequence: str) -> None:
    """Log, from an ``except`` block, why a publish failed and ``consequence``: a missing
    transport as an error that says what to install, anything else as an outage."""
    error = sys.exc_info()[1]
    if isinstance(error, BrokerTransportMissing):
        logger.error("%s Meanwhile: %s.", error, consequence)
    else:
        logger.warning("Broker unavailable; %s.", consequence, exc_info=True)


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
        log_publish_failure("events left for the sweeper")
        return False
    return True


def fan_out_started() -> None:
    """Called by the fan-out task before it reads owed events: later ones need a new message."""
    try:
        with publisher() as broker:
            if broker.redis is not None:
                broker.redis.delete(_FAN_OUT_PENDING_KEY)
    except Exception:
        log_publish_failure("could not clear the fan-out mark")


def messages_lost() -> bool:
    """Whether the broker lost what was published to it (a restart, a FLUSHALL) since the
    last call. Only a Redis broker can tell; for others, False."""
    with publisher() as broker:
        redis = broker.redis
        if redis is None:
            return False
        return bool(redis.set(_EPOCH_KEY, "1", nx=True))
