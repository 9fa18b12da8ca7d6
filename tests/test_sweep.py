"""The sweep hands out what no message carries, once, and a slow webhook cannot crowd it."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from fluent_webhooks.delivery import pipeline
from fluent_webhooks.dispatch import deliveries
from fluent_webhooks.dispatch.sweep import collect_owed
from fluent_webhooks.models import Delivery, Event, Webhook

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/hook"


def make_delivery(webhook: Webhook, **fields) -> Delivery:
    event = Event.objects.create(name="feed.created", body="{}", fanned_out_at=timezone.now())
    return Delivery.objects.create(event=event, webhook=webhook, **fields)


def test_a_busy_webhooks_parked_backlog_does_not_crowd_out_others(webhook):
    """1,000 parked deliveries of a webhook that is still sending are older than anything
    else owed; the sweep leaves them to that webhook's running batch."""
    now = timezone.now()
    slow = Webhook.objects.create(name="slow", url=URL, events=["*"])
    make_delivery(  # its batch in flight
        slow, status="sending", claim_token=uuid.uuid4(), claimed_at=now,
        locked_until=now + timedelta(seconds=30),
    )  # fmt: skip
    events = Event.objects.bulk_create(
        [Event(name="feed.created", body="{}", fanned_out_at=now) for _ in range(1000)]
    )
    Delivery.objects.bulk_create(
        Delivery(event=e, webhook=slow, next_attempt_at=now - timedelta(hours=1), enqueued_at=None)
        for e in events
    )
    retry = make_delivery(  # another webhook's long retry, due now: the sweep's to hand out
        webhook, next_attempt_at=now - timedelta(seconds=1), enqueued_at=now - timedelta(hours=1)
    )
    owed = collect_owed()
    assert owed.delivery_ids == [retry.pk]


def test_a_dead_workers_delivery_is_handed_out_by_one_sweep_only(webhook):
    lapsed = make_delivery(
        webhook,
        status="sending",
        claim_token=uuid.uuid4(),
        claimed_at=timezone.now() - timedelta(minutes=1),
        enqueued_at=timezone.now() - timedelta(minutes=1, seconds=1),
        locked_until=timezone.now() - timedelta(seconds=1),
    )
    assert lapsed.pk in collect_owed().delivery_ids
    assert lapsed.pk not in collect_owed().delivery_ids


@pytest.mark.django_db(transaction=True)
def test_work_parked_while_the_busy_batch_finishes_is_handed_out(test_database_url, monkeypatch):
    """Worker B finds the webhook busy and parks; worker A's batch ends at that moment and
    looks for parked work. A must see what B parks, not miss it and leave it to the sweep."""
    now = timezone.now()
    webhook = Webhook.objects.create(name="w", url=URL, events=["*"])
    running = make_delivery(
        webhook, status="sending", claim_token=uuid.uuid4(), claimed_at=now,
        locked_until=now + timedelta(seconds=30),
    )  # fmt: skip
    waiting = make_delivery(webhook)
    published: list = []
    monkeypatch.setattr(deliveries, "hand_out", lambda refs, eta=None: published.extend(refs))
    decided, finish = threading.Event(), threading.Event()

    def worker_b() -> None:
        try:
            with transaction.atomic():  # as tasks.deliver_task does
                batch = pipeline.claim_batch([(webhook.pk, waiting.pk)])
                decided.set()
                finish.wait(5)
                deliveries.park(batch.parked)
        finally:
            connection.close()

    def worker_a() -> None:
        try:
            Delivery.objects.filter(pk=running.pk).update(status="succeeded", claim_token=None)
            deliveries.hand_out_parked([webhook.pk])
        finally:
            connection.close()

    b = threading.Thread(target=worker_b)
    b.start()
    assert decided.wait(5)
    a = threading.Thread(target=worker_a)
    a.start()
    a.join(0.5)  # A waits for B's decision to be written...
    finish.set()
    b.join()
    a.join()
    assert published == [(webhook.pk, waiting.pk)]  # ...and then hands out what B parked
