"""Through the real broker and worker: an event emitted while the broker is down goes, once it
is back, to the webhooks that were active and subscribed when it happened, not to those that
are when its fan-out finally runs."""

from __future__ import annotations

import json
import time

import pytest

from fluent_webhooks.dispatch.sweep import sweep
from fluent_webhooks.models import Delivery, Webhook
from tests.services import wait_until
from tests.test_delivery_worker import emit, hook, settle

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def fan_out_after_the_outage(receiver, arrivals: int) -> list[Delivery]:
    """The sweep hands the owed event to the worker; wait for what it sends."""
    assert sweep()["events"] == 1
    receiver.wait_for(arrivals, timeout=30)
    deliveries = settle(len(Delivery.objects.all()) or 1)
    time.sleep(0.5)  # anything wrongly sent would arrive by now
    return deliveries


def test_a_webhook_created_during_the_outage_gets_nothing_from_before(live, broker, receiver):
    hook(receiver.url("/existing"), ["feed.created"])
    broker.stop()
    try:
        emit("feed.created", {"id": 1})
        hook(receiver.url("/new"), ["feed.created"])
    finally:
        broker.start()
    deliveries = fan_out_after_the_outage(receiver, 1)
    assert [r.path for r in receiver.requests] == ["/existing"]
    assert [d.status for d in deliveries] == [Delivery.Status.SUCCEEDED]


def test_changes_after_the_event_do_not_change_who_it_was_for(live, broker, receiver):
    switched_off = hook(receiver.url("/off"), ["feed.created"])
    off_and_on = hook(receiver.url("/off-and-on"), ["feed.created"])
    switched_on = hook(receiver.url("/on"), ["feed.created"], status="inactive")
    leaving = hook(receiver.url("/leaving"), ["feed.created"])
    joining = hook(receiver.url("/joining"), ["space.created"])
    broker.stop()
    try:
        emit("feed.created", {"id": 1})
        Webhook.objects.filter(pk__in=[switched_off.pk, off_and_on.pk]).update(status="inactive")
        Webhook.objects.filter(pk__in=[off_and_on.pk, switched_on.pk]).update(status="active")
        leaving.events = ["space.created"]
        leaving.save()
        joining.events = ["*"]
        joining.save()
    finally:
        broker.start()
    assert sweep()["events"] == 1
    receiver.wait_for(2, timeout=30)
    wait_until(
        lambda: Delivery.objects.filter(status=Delivery.Status.SUCCEEDED).count() == 2,
        20,
        "the two active webhooks' deliveries",
    )
    time.sleep(0.5)  # anything wrongly sent would arrive by now
    assert sorted(r.path for r in receiver.requests) == ["/leaving", "/off-and-on"]
    assert all(json.loads(r.body)["data"] == {"id": 1} for r in receiver.requests)
    outcome = {d.webhook_id: d.status for d in Delivery.objects.all()}
    assert outcome == {
        # It happened while this one was active: it is owed it, and, the webhook being
        # inactive when the worker gets to it, the delivery waits for it to be active again.
        switched_off.pk: Delivery.Status.PENDING,
        off_and_on.pk: Delivery.Status.SUCCEEDED,
        leaving.pk: Delivery.Status.SUCCEEDED,
    }
    switched_off.status = "active"
    switched_off.save()
    # The sweeper hands it out again once its last hand-out is STUCK_AFTER old (beat's job).
    wait_until(lambda: sweep() and len(receiver.requests) == 3, 40, "the kept delivery")
    assert sorted(r.path for r in receiver.requests) == ["/leaving", "/off", "/off-and-on"]
