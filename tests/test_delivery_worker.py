"""Events reach webhooks through the real broker, a real Celery worker and real receivers."""

from __future__ import annotations

import json
import socket
import time

import pytest
from django.db import transaction

from fluent_webhooks import send_event, verify
from fluent_webhooks.dispatch.sweep import sweep
from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
from tests.receiver import Reply
from tests.services import wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def hook(url: str, events: list[str], **fields) -> Webhook:
    return Webhook.objects.create(name=url, url=url, events=events, **fields)


def emit(name: str, data: dict | None = None, user=None) -> Event:
    with transaction.atomic():
        return send_event(name, data or {"id": 1}, user=user)


def settle(delivery_count: int, timeout: float = 20) -> list[Delivery]:
    """Wait until ``delivery_count`` deliveries exist and none is still owed."""

    def done() -> bool:
        deliveries = Delivery.objects.all()
        return len(deliveries) >= delivery_count and all(
            d.status not in (Delivery.Status.PENDING, Delivery.Status.SENDING) for d in deliveries
        )

    wait_until(done, timeout, f"{delivery_count} deliveries to finish")
    return list(Delivery.objects.all())


def test_each_event_reaches_exactly_its_subscribed_active_webhooks(live, receiver, admin_user):
    feed = hook(receiver.url("/feed"), ["feed.created"])
    everything = hook(receiver.url("/all"), ["*"])
    hook(receiver.url("/comments"), ["comment.created"])
    hook(receiver.url("/inactive"), ["feed.created"], status="inactive")

    emit("feed.created", {"id": 123, "title": "Welcome!"}, user=admin_user)
    emit("space.created", {"id": 7})
    requests = receiver.wait_for(3)
    settle(3)
    time.sleep(0.5)  # anything wrongly sent would arrive by now

    received = sorted((r.path, json.loads(r.body)["event"]) for r in receiver.requests)
    assert received == [
        ("/all", "feed.created"),
        ("/all", "space.created"),
        ("/feed", "feed.created"),
    ]
    for request in requests:
        secret = feed.secret if request.path == "/feed" else everything.secret
        assert verify(request.body, request.headers["X-Fluent-Signature"], secret)
        assert request.headers["X-Fluent-Delivery"]
        assert request.headers["X-Fluent-Event"] == json.loads(request.body)["event"]
    feed_payload = json.loads(next(r.body for r in requests if r.path == "/feed"))
    assert list(feed_payload) == ["event", "timestamp", "data", "xprofile"]
    assert feed_payload["data"] == {"id": 123, "title": "Welcome!"}
    assert feed_payload["xprofile"]["user_id"] == admin_user.pk
    feed.refresh_from_db()
    assert feed.last_triggered_at is not None
    assert feed.last_error is None


def test_rolled_back_transaction_delivers_nothing(live, receiver):
    hook(receiver.url(), ["feed.created"])

    def change_that_fails() -> None:
        with transaction.atomic():
            send_event("feed.created", {"id": 1})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    emit("feed.created", {"id": 2})
    receiver.wait_for(1)
    time.sleep(0.5)
    assert [json.loads(r.body)["data"]["id"] for r in receiver.requests] == [2]
    assert Event.objects.count() == 1


def test_server_error_is_tried_one_plus_retry_count_times(live, receiver):
    receiver.reply = Reply(status=500, body=b"boom")
    webhook = hook(receiver.url(), ["feed.created"], retry_count=2)
    emit("feed.created")
    (delivery,) = settle(1)
    requests = receiver.wait_for(3)
    time.sleep(0.8)  # longer than a retry step: a fourth attempt would show
    assert len(receiver.requests) == 3
    assert len({r.headers["X-Fluent-Delivery"] for r in requests}) == 1  # stable across retries
    assert str(delivery.pk) == requests[0].headers["X-Fluent-Delivery"]
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempt_count == 3
    attempts = Attempt.objects.filter(delivery=delivery).order_by("number")
    assert [(a.number, a.status_code, a.succeeded) for a in attempts] == [
        (1, 500, False),
        (2, 500, False),
        (3, 500, False),
    ]
    assert attempts[0].response_excerpt == "boom"
    webhook.refresh_from_db()
    assert webhook.last_error == "HTTP 500: boom"
    assert webhook.last_triggered_at is None


def test_a_retry_that_succeeds_clears_last_error(live, receiver):
    replies = iter([Reply(status=503), Reply(status=200)])
    receiver.respond = lambda request: next(replies)
    webhook = hook(receiver.url(), ["feed.created"], retry_count=3)
    emit("feed.created")
    (delivery,) = settle(1)
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.attempt_count == 2
    webhook.refresh_from_db()
    assert webhook.last_error is None
    assert webhook.last_triggered_at is not None


def test_timeouts_are_retried(live, receiver):
    receiver.reply = Reply(delay=2.0)  # READ_TIMEOUT is 1 s in these tests
    hook(receiver.url(), ["feed.created"], retry_count=1)
    emit("feed.created")
    (delivery,) = settle(1, timeout=30)
    errors = list(delivery.attempts.order_by("number").values_list("error", flat=True))
    assert errors == ["No answer within 1 s."] * 2
    assert len(receiver.requests) == 2


def test_refused_connections_are_retried(live):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook(f"http://127.0.0.1:{port}/hook", ["feed.created"], retry_count=1)
    emit("feed.created")
    (delivery,) = settle(1)
    assert delivery.attempt_count == 2
    assert all(
        e.startswith("Connection failed") for e in delivery.attempts.values_list("error", flat=True)
    )


def test_gone_stops_retrying_and_deactivates_the_webhook(live, receiver):
    receiver.reply = Reply(status=410)
    webhook = hook(receiver.url(), ["feed.created"], retry_count=3)
    emit("feed.created")
    (delivery,) = settle(1)
    time.sleep(0.8)
    assert len(receiver.requests) == 1
    assert delivery.status == Delivery.Status.FAILED
    webhook.refresh_from_db()
    assert webhook.status == "inactive"
    assert "410" in webhook.last_error
    assert "deactivated" in webhook.last_error
    emit("feed.created")
    time.sleep(0.8)
    assert len(receiver.requests) == 1  # inactive now: nothing more


def test_redirects_are_not_followed(live, receiver):
    receiver.respond = lambda request: (
        Reply(status=302, headers={"Location": receiver.url("/elsewhere")})
        if request.path == "/hook"
        else Reply()
    )
    hook(receiver.url(), ["feed.created"], retry_count=0)
    emit("feed.created")
    (delivery,) = settle(1)
    assert delivery.status == Delivery.Status.FAILED
    assert [r.path for r in receiver.requests] == ["/hook"]
    assert "redirects are not followed" in delivery.last_error


def test_https_delivery_trusts_the_configured_ca(live, https_receiver):
    hook(https_receiver.url(host="localhost"), ["feed.created"])
    emit("feed.created")
    (delivery,) = settle(1)
    assert delivery.status == Delivery.Status.SUCCEEDED, delivery.last_error
    assert len(https_receiver.requests) == 1


def test_event_emitted_while_the_broker_is_down_arrives_through_the_sweeper(live, broker, receiver):
    hook(receiver.url(), ["feed.created"])
    broker.stop()
    try:
        started = time.monotonic()
        event = emit("feed.created", {"id": 42})
        emit("feed.created", {"id": 43})  # a second hand-off must not wait on the outage either
        assert time.monotonic() - started < 1  # requests are not held up by the outage
        event.refresh_from_db()
        assert event.enqueued_at is None  # the hand-off failed and says so
    finally:
        broker.start()
    assert sweep()["events"] == 2
    requests = receiver.wait_for(2, timeout=30)
    assert sorted(json.loads(r.body)["data"]["id"] for r in requests) == [42, 43]
    assert {d.status for d in settle(2)} == {Delivery.Status.SUCCEEDED}


def test_delivery_of_a_killed_worker_is_sent_again_after_its_claim_expires(live, receiver):
    receiver.reply = Reply(delay=0.8)  # the worker is still waiting when it is killed
    hook(receiver.url(), ["feed.created"])
    emit("feed.created", {"id": 5})
    (first,) = receiver.wait_for(1)
    live.kill()
    live.start()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENDING  # claimed by the dead worker
    # Once the claim expires (STUCK_AFTER is 5 s here), the sweeper hands it out again.
    wait_until(lambda: sweep()["deliveries"] == 1, 15, "the sweeper to take the delivery")
    requests = receiver.wait_for(2)
    assert requests[1].headers["X-Fluent-Delivery"] == first.headers["X-Fluent-Delivery"]
    assert json.loads(requests[1].body)["data"] == {"id": 5}
    (delivery,) = settle(1)
    assert delivery.status == Delivery.Status.SUCCEEDED


def test_the_worker_survives_its_database_connections_being_cut(live, receiver):
    """As when PostgreSQL restarts: the worker keeps its connections between tasks, so it
    must notice that they died instead of failing every task on them."""
    from django.db import connection

    hook(receiver.url(), ["feed.created"])
    emit("feed.created", {"id": 1})
    receiver.wait_for(1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    emit("feed.created", {"id": 2})
    # A batch cut off while recording keeps its claim until STUCK_AFTER (5 s here); the
    # sweep, as beat runs it in production, then hands out what that left owed.
    wait_until(lambda: sweep() and len(receiver.requests) >= 2, 30, "the second delivery")
    ids = sorted({json.loads(r.body)["data"]["id"] for r in receiver.requests})
    assert ids == [1, 2]


def test_a_queued_redelivery_is_sent_by_the_worker(live, receiver):
    from fluent_webhooks.dispatch.deliveries import hand_out_redeliveries

    webhook = hook(receiver.url(), ["feed.created"])
    failed = []
    for number in range(2):
        with transaction.atomic():
            event = Event.objects.create(name="feed.created", body=f'{{"id":{number}}}')
        failed.append(
            Delivery.objects.create(
                event=event, webhook=webhook, status="failed", attempt_count=4
            ).pk
        )
    assert hand_out_redeliveries(failed)
    requests = receiver.wait_for(2)
    assert {r.headers["X-Fluent-Delivery"] for r in requests} == {str(pk) for pk in failed}
    wait_until(
        lambda: set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"},
        10,
        "the redeliveries to be recorded",
    )


def test_a_receiver_that_drips_its_headers_cannot_hold_a_delivery_in_sending(live):
    """The worker's ATTEMPT_DEADLINE is 3 s here, READ_TIMEOUT 1 s: a receiver sending its
    status line a byte every 0.3 s never trips the read timeout. The attempt must end at the
    deadline, be recorded with the reason, and the retry be scheduled."""
    from tests.test_transport import RawReceiver, drip, read_request

    def dripping(conn, stop):
        read_request(conn)
        drip(conn, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100, 0.3, stop)

    server = RawReceiver(dripping)
    try:
        webhook = hook(server.url(), ["feed.created"], retry_count=1)
        emit("feed.created")
        wait_until(lambda: Attempt.objects.exists(), 3 + 5, "the first attempt to be recorded")
        first = Attempt.objects.order_by("number").first()
        assert first.error == "No complete answer within 3 s."
        assert 2_500 <= first.duration_ms <= 4_000
        delivery = Delivery.objects.get(webhook=webhook)
        assert delivery.status in ("pending", "sending")  # the retry, due 0.3 s later
        (delivery,) = settle(1, timeout=20)
        assert delivery.status == "failed"
        assert delivery.attempt_count == 2
    finally:
        server.close()
