"""What the dispatch learns from a real Redis broker: a fan-out already on its way, and a
broker that lost its messages."""

from __future__ import annotations

import sys

import kombu.transport
import pytest
from django.db import transaction

from fluent_webhooks import send_event
from fluent_webhooks.dispatch import broker as dispatch_broker
from fluent_webhooks.dispatch.sweep import sweep
from fluent_webhooks.models import Delivery, Event
from tests.conftest import use_broker

pytestmark = pytest.mark.services


@pytest.fixture
def redis(broker):
    """The test process publishes to a database of the tests' private redis-server that no
    worker reads (the worker tests' worker reads database 0), emptied first."""
    from example_project.celery import app

    previous = app.conf.broker_url
    use_broker(app, broker.url.rsplit("/", 1)[0] + "/1")
    with app.connection_for_write() as connection:
        client = connection.default_channel.client
        client.flushdb()
        yield client
    use_broker(app, previous)


def queued(client) -> int:
    """Messages waiting in the default queue, at every priority."""
    return sum(client.llen(key) for key in client.keys("celery*"))


def test_events_ride_along_with_a_fan_out_already_on_its_way(redis):
    assert dispatch_broker.request_fan_out([1])
    assert dispatch_broker.request_fan_out([2])
    assert dispatch_broker.request_fan_out([3])
    assert queued(redis) == 1
    dispatch_broker.fan_out_started()  # the task will read the owed events from here on
    assert dispatch_broker.request_fan_out([4])
    assert queued(redis) == 2


def test_a_flushed_or_restarted_broker_is_noticed_once(redis):
    assert dispatch_broker.messages_lost()  # a new broker: nothing of ours in it
    assert not dispatch_broker.messages_lost()
    redis.flushdb()
    assert dispatch_broker.messages_lost()
    assert not dispatch_broker.messages_lost()


@pytest.mark.django_db(transaction=True)
def test_after_a_flush_the_sweep_hands_out_what_was_in_flight(redis, webhook):
    dispatch_broker.messages_lost()
    with transaction.atomic():
        event = send_event("feed.created", {"id": 1})
    Event.objects.filter(pk=event.pk).update(fanned_out_at=None)
    assert sweep() == {"events": 0, "deliveries": 0}  # handed out just now: not owed yet
    redis.flushdb()  # the fan-out message is gone
    assert sweep()["events"] == 1
    assert queued(redis) == 1
    assert not Delivery.objects.exists()


def test_a_missing_transport_package_says_what_to_install_not_that_the_broker_is_down(
    monkeypatch, caplog
):
    """A site without kombu's Redis dependencies (``packaging`` here) is told what to install;
    the event stays owed, as in an outage."""
    from example_project.celery import app

    previous = app.conf.broker_url
    use_broker(app, "redis://127.0.0.1:9/0")
    # As in a fresh process: kombu has not imported (nor cached) its Redis transport yet.
    monkeypatch.setattr(kombu.transport, "_transport_cache", {})
    monkeypatch.delitem(sys.modules, "kombu.transport.redis", raising=False)
    monkeypatch.setitem(sys.modules, "packaging.version", None)
    try:
        assert not dispatch_broker.request_fan_out([1])
    finally:
        use_broker(app, previous)
    [record] = [r for r in caplog.records if r.name == dispatch_broker.logger.name]
    assert record.levelname == "ERROR"
    assert "Celery cannot load its 'redis' broker transport" in record.getMessage()
    assert "packaging" in record.getMessage()
    assert "pip install 'celery[redis]'" in record.getMessage()
    assert "Broker unavailable" not in caplog.text
