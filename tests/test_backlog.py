"""The worker's database work: which webhooks are too busy for another batch, decided once."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fluent_webhooks.backlog import busy_webhooks
from fluent_webhooks.delivery.pipeline import ClaimedBatch, claim_batch, deliver_claimed
from fluent_webhooks.models import Delivery, Event, Webhook
from tests.receiver import Reply

pytestmark = pytest.mark.django_db


def in_flight(webhook: Webhook, *, claimed_seconds_ago: float) -> None:
    """A batch of one delivery being sent to ``webhook``, claimed that long ago."""
    now = timezone.now()
    event = Event.objects.create(name="feed.created", body="{}", fanned_out_at=now)
    Delivery.objects.create(
        event=event,
        webhook=webhook,
        status="sending",
        claim_token=uuid.uuid4(),
        claimed_at=now - timedelta(seconds=claimed_seconds_ago),
        locked_until=now + timedelta(seconds=30),
    )


def test_a_webhook_not_known_to_answer_gets_one_batch_at_a_time(webhook):
    assert busy_webhooks([webhook.pk], limit=1) == set()
    in_flight(webhook, claimed_seconds_ago=0)
    assert busy_webhooks([webhook.pk], limit=1) == {webhook.pk}


def test_a_webhook_answering_well_gets_batches_side_by_side_while_they_are_quick(webhook):
    Webhook.objects.filter(pk=webhook.pk).update(last_triggered_at=timezone.now())
    in_flight(webhook, claimed_seconds_ago=0)
    in_flight(webhook, claimed_seconds_ago=0.2)
    assert busy_webhooks([webhook.pk], limit=1) == set()
    in_flight(webhook, claimed_seconds_ago=5)  # one batch has been out too long: it is slow now
    assert busy_webhooks([webhook.pk], limit=1) == {webhook.pk}


def test_a_webhook_that_failed_since_its_last_success_is_limited(webhook):
    Webhook.objects.filter(pk=webhook.pk).update(
        last_triggered_at=timezone.now(), last_error="HTTP 500."
    )
    in_flight(webhook, claimed_seconds_ago=0)
    assert busy_webhooks([webhook.pk], limit=1) == {webhook.pk}


def test_a_dead_workers_claim_does_not_make_a_webhook_busy(webhook):
    in_flight(webhook, claimed_seconds_ago=60)
    Delivery.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert busy_webhooks([webhook.pk], limit=1) == set()


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_a_hanging_webhook_send_one_batch(
    test_database_url, receiver, loopback_allowed
):
    """Both find the webhook free at the same moment; only one may hold a process for it."""
    receiver.reply = Reply(delay=1.0)
    webhook = Webhook.objects.create(name="slow", url=receiver.url(), events=["*"])
    now = timezone.now()
    deliveries = [
        Delivery.objects.create(
            event=Event.objects.create(name="feed.created", body="{}", fanned_out_at=now),
            webhook=webhook,
        )
        for _ in range(2)
    ]
    start = threading.Barrier(2)
    results: list[ClaimedBatch] = []

    def worker(delivery: Delivery) -> None:
        start.wait()
        try:
            batch = claim_batch([(webhook.pk, delivery.pk)])
            results.append(batch)
            deliver_claimed(batch)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(d,)) for d in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r.parked) for r in results) == [0, 1]
    assert len(receiver.requests) == 1
