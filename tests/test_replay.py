"""Replay and redelivery through the real broker, a real Celery worker and a real receiver;
and the order in which replayed work is handed out and taken, on PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from fluent_webhooks import backlog
from fluent_webhooks.dispatch import replay
from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
from tests.conftest import API
from tests.receiver import ReceivedRequest, Reply
from tests.services import wait_until

T0 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
WINDOW = {"since": "2024-01-15 10:00:00", "until": "2024-01-15 11:00:00"}


def failed_deliveries(
    webhook: Webhook, count: int, status: str = "failed", attempt_count: int = 4
) -> list[Delivery]:
    """``count`` deliveries that ran out of retries (by default), of events a minute apart,
    created newest first (so that neither id nor insertion order is event order)."""
    deliveries = []
    for minute in reversed(range(count)):
        event = Event.objects.create(
            name="feed.created",
            body=json.dumps({"event": "feed.created", "data": {"minute": minute}}),
            created_at=T0 + timedelta(minutes=minute),
        )
        deliveries.append(
            Delivery.objects.create(
                event=event,
                webhook=webhook,
                status=status,
                attempt_count=attempt_count,
                created_at=T0,
            )
        )
    return sorted(deliveries, key=lambda d: d.event.created_at)


def settled(ids: list) -> bool:
    return not Delivery.objects.filter(pk__in=ids, status__in=["pending", "sending"]).exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
class TestThroughTheWorker:
    def test_a_replay_resends_each_delivery_once_as_a_manual_attempt(self, live, receiver, api):
        webhook = Webhook.objects.create(name="r", url=receiver.url(), events=["feed.created"])
        deliveries = failed_deliveries(webhook, 6)
        response = api.post(f"{API}/{webhook.pk}/replay", WINDOW, format="json")
        assert response.status_code == 202, response.json()
        assert response.json()["queued"] == 6
        requests = receiver.wait_for(6)
        wait_until(lambda: settled([d.pk for d in deliveries]), 10, "the replay to be recorded")
        time.sleep(0.5)  # anything sent twice would arrive by now
        assert len(receiver.requests) == 6
        assert sorted(r.headers["X-Fluent-Delivery"] for r in requests) == sorted(
            str(d.pk) for d in deliveries
        )
        for delivery in deliveries:
            delivery.refresh_from_db()
            assert (delivery.status, delivery.attempt_count) == ("succeeded", 5)
            assert not delivery.manual_next_attempt
            (attempt,) = Attempt.objects.filter(delivery=delivery)
            assert (attempt.number, attempt.manual, attempt.succeeded) == (5, True, True)

    def test_a_failed_replayed_attempt_is_not_retried(self, live, receiver, api):
        receiver.reply = Reply(status=503, body=b"")
        webhook = Webhook.objects.create(name="r", url=receiver.url(), events=["feed.created"])
        # Delivered at the first attempt: three retries would be left, were it not a replay.
        (delivery,) = failed_deliveries(webhook, 1, status="succeeded", attempt_count=1)
        api.post(f"{API}/{webhook.pk}/replay", WINDOW, format="json")
        receiver.wait_for(1)
        wait_until(lambda: settled([delivery.pk]), 10, "the replayed attempt to be recorded")
        time.sleep(1)  # the worker's RETRY_SCHEDULE is 0.3 s: a retry would have come
        assert len(receiver.requests) == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.last_status_code) == ("failed", 503)

    def test_a_replay_repeated_while_the_first_runs_adds_no_work(self, live, receiver, api):
        release = threading.Event()

        def hold(request: ReceivedRequest) -> Reply:
            release.wait(2)  # under the worker's ATTEMPT_DEADLINE (3 s)
            return Reply()

        receiver.respond = hold
        webhook = Webhook.objects.create(name="r", url=receiver.url(), events=["feed.created"])
        deliveries = failed_deliveries(webhook, 4)
        first = api.post(f"{API}/{webhook.pk}/replay", WINDOW, format="json").json()
        second = api.post(f"{API}/{webhook.pk}/replay", WINDOW, format="json").json()
        assert (first["queued"], first["already_queued"]) == (4, 0)
        assert (second["matched"], second["queued"], second["already_queued"]) == (4, 0, 4)
        release.set()
        receiver.wait_for(4)
        wait_until(lambda: settled([d.pk for d in deliveries]), 10, "the replay to be recorded")
        time.sleep(0.5)
        assert len(receiver.requests) == 4
        assert Attempt.objects.count() == 4

    def test_a_redelivery_asked_through_the_api_is_sent_by_the_worker(self, live, receiver, api):
        webhook = Webhook.objects.create(name="r", url=receiver.url(), events=["feed.created"])
        (delivery,) = failed_deliveries(webhook, 1)
        response = api.post(f"{API}/{webhook.pk}/deliveries/{delivery.pk}/redeliver")
        assert response.status_code == 202
        (request,) = receiver.wait_for(1)
        assert request.headers["X-Fluent-Delivery"] == str(delivery.pk)
        assert json.loads(request.body) == json.loads(delivery.event.body)
        wait_until(lambda: settled([delivery.pk]), 10, "the redelivery to be recorded")
        detail = api.get(response.json()["delivery"]).json()
        assert detail["status"] == "succeeded"
        (attempt,) = detail["attempts"]
        assert (attempt["number"], attempt["manual"], attempt["status_code"]) == (5, True, 200)
        assert attempt["request_headers"]["X-Fluent-Signature"] == "[redacted]"

    def test_the_cli_replays_and_follows_the_worker_until_done(self, live, receiver, monkeypatch):
        from fluent_webhooks.cli import replay as replay_command

        monkeypatch.setattr(replay_command, "POLL_SECONDS", 0.1)
        webhook = Webhook.objects.create(name="r", url=receiver.url(), events=["feed.created"])
        failed_deliveries(webhook, 3)
        out = StringIO()
        call_command(
            "webhooks",
            "replay",
            str(webhook.pk),
            "--since=2024-01-15 10:00:00",
            "--wait",
            stdout=out,
        )
        lines = out.getvalue().splitlines()
        assert lines[:2] == [
            "Queued 3 of 3...",
            "3 matched: 3 queued for the worker, oldest event first; 0 already queued.",
        ]
        assert lines[-1] == "0 owed, 3 succeeded, 0 failed."
        assert len(receiver.requests) == 3


@pytest.mark.django_db
class TestOrder:
    """Replayed work is handed out, and taken by every oldest-first reader, in event order."""

    @pytest.fixture(autouse=True)
    def _postgresql(self) -> None:
        if connection.vendor != "postgresql":
            pytest.skip("the claim and its locks are PostgreSQL's")

    def test_hand_out_is_oldest_event_first(self, webhook, monkeypatch):
        deliveries = failed_deliveries(webhook, 5)
        handed: list = []
        monkeypatch.setattr(replay, "hand_out", lambda refs: handed.extend(refs) or refs)
        request = replay.clean_replay(WINDOW)
        assert replay.replay(webhook, request).queued == 5
        assert handed == [(webhook.pk, d.pk) for d in deliveries]

    def test_what_the_broker_did_not_take_is_swept_oldest_event_first(self, webhook, monkeypatch):
        deliveries = failed_deliveries(webhook, 5)
        monkeypatch.setattr("fluent_webhooks.dispatch.broker.publisher", _broken_publisher)
        replay.replay(webhook, replay.clean_replay(WINDOW))
        owed = backlog.find_owed()
        assert owed.delivery_ids == [d.pk for d in deliveries]

    def test_work_parked_for_a_busy_webhook_follows_in_event_order(self, webhook, monkeypatch):
        deliveries = failed_deliveries(webhook, 5)
        monkeypatch.setattr("fluent_webhooks.dispatch.broker.publisher", _broken_publisher)
        replay.replay(webhook, replay.clean_replay(WINDOW))
        assert backlog.parked([webhook.pk], limit=3) == [(webhook.pk, d.pk) for d in deliveries[:3]]

    def test_the_claim_takes_them_as_due(self, webhook, monkeypatch):
        deliveries = failed_deliveries(webhook, 3)
        monkeypatch.setattr(replay, "hand_out", lambda refs: refs)
        replay.replay(webhook, replay.clean_replay(WINDOW))
        from fluent_webhooks.delivery.pipeline import claim_many

        claimed = claim_many([d.pk for d in deliveries])
        assert {d.pk for d in claimed} == {d.pk for d in deliveries}
        assert all(d.manual_next_attempt for d in claimed)


def _broken_publisher():
    raise ConnectionError("broker down")


@pytest.mark.django_db(transaction=True)
def test_two_replays_at_once_reopen_each_delivery_once(webhook, monkeypatch):
    """Both replays find the same finished deliveries before either re-opens them; the row
    locks and the re-check give each delivery to one of them."""
    if connection.vendor != "postgresql":
        pytest.skip("the row locks are PostgreSQL's")
    deliveries = failed_deliveries(webhook, 8)
    monkeypatch.setattr(replay, "hand_out", lambda refs: refs)
    both_found = threading.Barrier(2, timeout=10)
    reopen = replay._reopen_and_hand_out

    def after_both_found(webhook_id, ids):
        both_found.wait()
        return reopen(webhook_id, ids)

    monkeypatch.setattr(replay, "_reopen_and_hand_out", after_both_found)
    results = []

    def run() -> None:
        try:
            results.append(replay.replay(webhook, replay.clean_replay(WINDOW)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sum(r.queued for r in results) == 8
    assert all(r.matched == 8 for r in results)
    assert Delivery.objects.filter(pk__in=[d.pk for d in deliveries], status="pending").count() == 8
