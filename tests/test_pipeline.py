"""The pipeline's decisions, driven directly: claiming, retry timing, the sweeper, pruning."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from fluent_webhooks import send_event
from fluent_webhooks.backlog import busy_webhooks, fan_out, find_owed, parked, prune
from fluent_webhooks.delivery.decide import (
    Failed,
    retry_delay,
)
from fluent_webhooks.delivery.pipeline import (
    ClaimedBatch,
    claim_many,
    deliver_claimed,
    redeliver,
)
from fluent_webhooks.dispatch.deliveries import _batches
from fluent_webhooks.dispatch.sweep import collect_owed
from fluent_webhooks.http.transport import HttpResult
from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
from fluent_webhooks.redaction import redact

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/hook"


def deliver_many(delivery_ids: list[uuid.UUID]):
    """Claim these deliveries and make their next attempt, as a worker's batch does."""
    token = uuid.uuid4()
    return deliver_claimed(ClaimedBatch(token, claim_many(delivery_ids, token)))


def make_delivery(webhook: Webhook, **fields) -> Delivery:
    event = Event.objects.create(
        name="feed.created", body='{"event":"feed.created"}', fanned_out_at=timezone.now()
    )
    return Delivery.objects.create(event=event, webhook=webhook, **fields)


def test_fan_out_creates_one_delivery_per_subscribed_active_webhook_once(webhook):
    Webhook.objects.create(name="all", url=URL, events=["*"])
    Webhook.objects.create(name="off", url=URL, events=["*"], status="inactive")
    Webhook.objects.create(name="other", url=URL, events=["comment.created"])
    event = send_event("feed.created", {"id": 1})
    assert len(fan_out([event.pk])) == 2
    assert fan_out([event.pk]) == []  # a redelivered fan-out creates nothing
    assert sorted(Delivery.objects.values_list("webhook__name", flat=True)) == [
        "Slack Notifications",
        "all",
    ]


def test_claim_takes_a_due_delivery_once(webhook):
    delivery = make_delivery(webhook)
    assert claim_many([delivery.pk]) == [delivery]
    assert claim_many([delivery.pk]) == []  # a second worker gets nothing
    assert Delivery.objects.get(pk=delivery.pk).status == "sending"


def test_claim_waits_for_the_due_time(webhook):
    delivery = make_delivery(webhook, next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert claim_many([delivery.pk]) == []


def test_a_dead_workers_claim_expires(webhook):
    delivery = make_delivery(
        webhook, status="sending", locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert claim_many([delivery.pk]) == [delivery]


@responses.activate
def test_deliver_records_the_attempt_and_schedules_a_retry(webhook):
    responses.post(webhook.url, status=503, headers={"Retry-After": "3000"}, body="busy")
    delivery = make_delivery(webhook)
    (outcome,) = deliver_many([delivery.pk])
    assert outcome.status == "pending"
    wait = (outcome.next_attempt_at - timezone.now()).total_seconds()
    # Retry-After outranks the first step of 3 retries over 27 h (20 min, +20 % jitter at most).
    assert 2990 < wait <= 3000
    attempt = Attempt.objects.get(delivery=delivery)
    assert (attempt.number, attempt.status_code, attempt.response_excerpt) == (1, 503, "busy")
    assert attempt.request_headers["X-Fluent-Delivery"] == str(delivery.pk)


def test_an_inactive_webhooks_owed_deliveries_wait_untouched_until_it_is_active(webhook):
    now = timezone.now()
    due = make_delivery(webhook, next_attempt_at=now, enqueued_at=now - timedelta(hours=1))
    abandoned = make_delivery(webhook, status="sending", locked_until=now - timedelta(seconds=1))
    Webhook.objects.filter(pk=webhook.pk).update(status="inactive")
    assert deliver_many([due.pk, abandoned.pk]) == []  # not claimed, so not sent
    assert find_owed(everything=True).deliveries == []  # nor handed out by the sweep
    assert parked([webhook.pk], limit=10) == []
    assert not Attempt.objects.exists()
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["pending", "sending"]
    assert Delivery.objects.get(pk=due.pk).last_error == ""  # not cancelled or failed

    Webhook.objects.filter(pk=webhook.pk).update(status="active")
    assert {pk for _, pk in find_owed().deliveries} == {due.pk, abandoned.pk}
    assert {d.pk for d in claim_many([due.pk, abandoned.pk])} == {due.pk, abandoned.pk}


def test_retry_delay_follows_the_schedule_with_jitter_and_caps_retry_after():
    failure = HttpResult(status_code=500, duration_ms=1)
    kwargs = {"schedule": (10.0, 60.0), "jitter": 0.2, "retry_after_max": 300.0}
    assert 10 <= retry_delay(1, failure, **kwargs) <= 12
    assert 60 <= retry_delay(2, failure, **kwargs) <= 72
    assert 60 <= retry_delay(9, failure, **kwargs) <= 72  # the last step repeats
    throttled = HttpResult(status_code=429, duration_ms=1, retry_after=10_000)
    assert retry_delay(1, throttled, **kwargs) == 300.0


def test_secret_bearing_headers_are_redacted_in_the_log():
    headers = {"Authorization": "Bearer x", "X-API-Key": "k", "X-Env": "prod"}
    assert redact(headers) == {
        "Authorization": "[redacted]",
        "X-API-Key": "[redacted]",
        "X-Env": "prod",
    }


def test_sweeper_finds_what_is_owed_and_only_that(webhook, settings):
    now = timezone.now()
    lost_event = Event.objects.create(name="feed.created", body="{}", enqueued_at=None)
    Event.objects.create(name="feed.created", body="{}", enqueued_at=now)  # in flight
    due_retry = make_delivery(
        webhook, next_attempt_at=now - timedelta(seconds=1), enqueued_at=now - timedelta(hours=1)
    )
    make_delivery(webhook, next_attempt_at=now + timedelta(hours=1))  # not due
    in_queue = make_delivery(webhook, next_attempt_at=now, enqueued_at=now)
    dead_worker = make_delivery(webhook, status="sending", locked_until=now - timedelta(seconds=1))
    make_delivery(webhook, status="succeeded")

    owed = collect_owed()
    assert owed.event_ids == [lost_event.pk]
    assert set(owed.delivery_ids) == {due_retry.pk, dead_worker.pk}
    assert in_queue.pk not in owed.delivery_ids
    assert collect_owed().event_ids == []  # handed out: not taken twice


def test_prune_keeps_what_is_recent_or_still_owed(webhook):
    old = timezone.now() - timedelta(days=31)
    finished = make_delivery(webhook, status="succeeded")
    Event.objects.filter(pk=finished.event_id).update(created_at=old, fanned_out_at=old)
    owed = make_delivery(webhook, status="pending")
    Event.objects.filter(pk=owed.event_id).update(created_at=old, fanned_out_at=old)
    recent = make_delivery(webhook, status="succeeded")
    pruned = prune()
    assert (pruned.events, pruned.deliveries) == (1, 1)
    assert set(Delivery.objects.values_list("pk", flat=True)) == {owed.pk, recent.pk}


@responses.activate
def test_a_batch_is_sent_side_by_side_and_recorded_per_delivery(webhook):
    failing = Webhook.objects.create(name="failing", url="https://down.example.com/h", events=["*"])
    responses.post(webhook.url, status=200)
    responses.post(failing.url, status=500, body="down")
    ok = [make_delivery(webhook) for _ in range(3)]
    bad = make_delivery(failing)
    outcomes = {o.delivery_id: o for o in deliver_many([d.pk for d in [*ok, bad]])}
    assert {outcomes[d.pk].status for d in ok} == {"succeeded"}
    assert outcomes[bad.pk].status == "pending"  # retried later
    assert Attempt.objects.filter(succeeded=True).count() == 3
    webhook.refresh_from_db()
    failing.refresh_from_db()
    assert webhook.last_triggered_at is not None
    assert webhook.last_error is None
    assert failing.last_error == "HTTP 500: down"


@responses.activate
def test_a_successful_batch_is_recorded_in_few_statements(webhook, django_assert_max_num_queries):
    responses.post(webhook.url, status=204)
    ids = [make_delivery(webhook).pk for _ in range(20)]
    # claim + select, attempts insert, one delivery update, webhook update, savepoint/commit
    with django_assert_max_num_queries(8):
        deliver_many(ids)
    assert Delivery.objects.filter(status="succeeded").count() == 20


@responses.activate
def test_gone_in_a_batch_deactivates_with_the_reason_whatever_the_order(webhook):
    responses.post(webhook.url, status=410)
    ids = [make_delivery(webhook).pk for _ in range(3)]
    deliver_many(ids)
    webhook.refresh_from_db()
    assert webhook.status == "inactive"
    assert "deactivated" in webhook.last_error


def test_batches_group_one_webhooks_deliveries(settings):
    settings.FLUENT_WEBHOOKS = {"DELIVERY_BATCH": 2}
    a, b = uuid.uuid4, uuid.uuid4
    pairs = [(1, a()), (2, b()), (1, a()), (1, a())]
    batches = _batches(pairs, 2)
    assert [(webhook, len(batch)) for webhook, batch in batches] == [(1, 2), (1, 1), (2, 1)]
    assert set(batches[0][1]) | set(batches[1][1]) == {pk for webhook, pk in pairs if webhook == 1}


def webhook_is_busy(webhook_id: int) -> bool:
    from fluent_webhooks.conf import conf

    return webhook_id in busy_webhooks([webhook_id], limit=conf.max_batches_per_webhook)


def test_a_webhook_with_enough_batches_in_flight_is_busy(webhook, settings):
    settings.FLUENT_WEBHOOKS = {"MAX_BATCHES_PER_WEBHOOK": 2}
    lease = timezone.now() + timedelta(minutes=1)
    make_delivery(webhook, status="sending", locked_until=lease, claim_token=uuid.uuid4())
    assert not webhook_is_busy(webhook.pk)
    make_delivery(webhook, status="sending", locked_until=lease, claim_token=uuid.uuid4())
    assert webhook_is_busy(webhook.pk)
    expired = timezone.now() - timedelta(seconds=1)
    Delivery.objects.filter(webhook=webhook).update(locked_until=expired)  # dead workers' claims
    assert not webhook_is_busy(webhook.pk)


@responses.activate
def test_redelivery_takes_a_finished_delivery_but_not_one_being_sent(webhook):
    responses.post(webhook.url, status=200)
    finished = make_delivery(webhook, status="failed", attempt_count=4)
    outcome = redeliver(finished.pk)
    assert outcome is not None
    assert outcome.status == "succeeded"
    attempt = Attempt.objects.get(delivery=finished)
    assert (attempt.number, attempt.manual) == (5, True)
    lease = timezone.now() + timedelta(minutes=1)
    busy = make_delivery(webhook, status="sending", locked_until=lease, claim_token=uuid.uuid4())
    assert redeliver(busy.pk) is None
    assert Delivery.objects.get(pk=busy.pk).status == "sending"


def test_a_request_that_cannot_be_sent_is_a_recorded_failure_not_a_wedged_batch(
    receiver, loopback_allowed
):
    """A header value stored before the rules refused it ('€') used to raise out of the
    transport, leaving every delivery of the batch in `sending`."""
    bad = Webhook.objects.create(name="bad", url=receiver.url(), events=["*"])
    Webhook.objects.filter(pk=bad.pk).update(headers={"X-Price": "€5"})
    good = Webhook.objects.create(name="good", url=receiver.url(), events=["*"])
    d_bad, d_good = make_delivery(bad), make_delivery(good)
    deliver_many([d_bad.pk, d_good.pk])
    statuses = dict(Delivery.objects.values_list("webhook__name", "status"))
    assert statuses == {"good": "succeeded", "bad": "failed"}
    assert Delivery.objects.get(pk=d_bad.pk).last_error.startswith("Request failed")


@responses.activate
def test_redelivering_a_dead_workers_delivery_keeps_its_retries(webhook):
    responses.post(webhook.url, status=500)
    owed = make_delivery(
        webhook, status="sending", locked_until=timezone.now() - timedelta(seconds=1)
    )
    outcome = redeliver(owed.pk)
    assert outcome is not None
    assert outcome.status == "pending"


def test_a_failed_outcome_is_not_a_success():
    result = HttpResult(status_code=500, duration_ms=1)
    assert Failed(uuid.uuid4(), 1, result, "HTTP 500.").status == "failed"


@pytest.mark.django_db(transaction=True)
@responses.activate
def test_a_webhook_deleted_mid_batch_does_not_undo_the_others_results(monkeypatch):
    from fluent_webhooks.delivery import pipeline

    doomed = Webhook.objects.create(name="doomed", url="https://a.example.com/h", events=["*"])
    other = Webhook.objects.create(name="other", url="https://b.example.com/h", events=["*"])
    responses.post(doomed.url, status=200)
    responses.post(other.url, status=200)
    d_doomed, d_other = make_delivery(doomed), make_delivery(other)
    build = pipeline.build_request

    def build_and_delete(delivery, **kwargs):
        request = build(delivery, **kwargs)
        if delivery.webhook_id == doomed.pk:
            Webhook.objects.filter(pk=doomed.pk).delete()  # an admin, meanwhile
        return request

    monkeypatch.setattr(pipeline, "build_request", build_and_delete)
    deliver_many([d_doomed.pk, d_other.pk])
    assert Delivery.objects.get(pk=d_other.pk).status == "succeeded"
    assert not Delivery.objects.filter(pk=d_doomed.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_batches_recording_opposite_outcomes_do_not_deadlock(test_database_url):
    """Batch 1 succeeded at w1 and failed at w2, batch 2 the other way round; each pauses
    after its first webhook write until the other has made one too."""
    from django.db import connection, transaction

    from fluent_webhooks.delivery.decide import Delivered, GaveUp
    from fluent_webhooks.delivery.record import Tally, record_health

    w1 = Webhook.objects.create(name="w1", url=URL, events=["*"])
    w2 = Webhook.objects.create(name="w2", url=URL, events=["*"])
    ok = HttpResult(status_code=200, duration_ms=1)
    bad = HttpResult(status_code=400, duration_ms=1)
    both_started = threading.Barrier(2, timeout=5)
    errors: list[BaseException] = []

    def pause_after_first_webhook_statement(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        seen = context["connection"].__dict__.setdefault("_webhook_statements", [0])
        if '"fluent_webhooks_webhook"' in sql and not sql.startswith("INSERT"):
            seen[0] += 1
            if seen[0] == 1:
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_started.wait(timeout=1)  # the other is blocked: ordered locks
        return result

    def batch(succeeded: Webhook, failed: Webhook) -> None:
        try:
            with (
                connection.execute_wrapper(pause_after_first_webhook_statement),
                transaction.atomic(),
            ):
                record_health(
                    {
                        succeeded.pk: Tally(Delivered(uuid.uuid4(), succeeded.pk, ok), successes=1),
                        failed.pk: Tally(
                            GaveUp(uuid.uuid4(), failed.pk, bad, "HTTP 400."), failures=1
                        ),
                    },
                    timezone.now(),
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=batch, args=(w1, w2)),
        threading.Thread(target=batch, args=(w2, w1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_delivery_whose_request_cannot_be_built_fails_alone(webhook, monkeypatch):
    """Building can fail (a template's output over its cap, a site's broken code): that
    delivery gets a failed attempt with the reason, and its batch goes on."""
    from fluent_webhooks.delivery import pipeline

    other = Webhook.objects.create(name="other", url="https://b.example.com/h", events=["*"])
    broken, fine = make_delivery(webhook), make_delivery(other)
    build = pipeline.build_request

    def build_or_fail(delivery, **kwargs):
        if delivery.pk == broken.pk:
            raise ValueError("the template's output is over 262,144 bytes")
        return build(delivery, **kwargs)

    monkeypatch.setattr(pipeline, "build_request", build_or_fail)
    with responses.RequestsMock() as mock:
        mock.post(other.url, status=200)
        deliver_many([broken.pk, fine.pk])
    assert Delivery.objects.get(pk=fine.pk).status == "succeeded"
    failed = Delivery.objects.get(pk=broken.pk)
    assert failed.status == "failed"
    assert "Could not build the request" in failed.last_error


@responses.activate
def test_the_log_keeps_no_custom_header_value_and_no_signature(webhook):
    """Credentials hide under any name: the log keeps every header's name, and no value of a
    custom header or a signature."""
    Webhook.objects.filter(pk=webhook.pk).update(
        headers={"X-Pass": "hunter2", "X-Shopify-Hmac-Sha256": "abc", "X-Env": "prod"}
    )
    responses.post(webhook.url, status=200)
    deliver_many([make_delivery(webhook).pk])
    stored = Attempt.objects.get().request_headers
    for name in ("X-Pass", "X-Shopify-Hmac-Sha256", "X-Env", "X-Fluent-Signature"):
        assert stored[name] == "[redacted]", name
    assert stored["webhook-signature"] == "[redacted]"
    assert stored["X-Fluent-Event"] == "feed.created"
    assert "hunter2" not in json.dumps(stored)
