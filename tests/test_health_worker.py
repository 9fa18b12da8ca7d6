"""Auto-disable with notice, through a real Celery worker on the real Redis broker.

Django's locmem e-mail backend keeps its outbox in the process that sends, so this worker
runs inside the test process (``celery.contrib.testing.worker.start_worker``, a thread of
its own with its own database connection, consuming from a Redis database of its own so the
session's worker process never takes its messages). Time is moved forward by writing
``failing_since`` in the past, not waited for.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.db import connections, transaction
from django.utils import timezone

from fluent_webhooks import send_event, webhook_disabled
from fluent_webhooks.dispatch.deliveries import hand_out
from fluent_webhooks.dispatch.sweep import sweep
from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
from tests.conftest import API, use_broker
from tests.receiver import Receiver, Reply
from tests.services import free_port, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DAY = timedelta(days=1)
# The Redis database of this module's in-process worker (the session's worker reads /0).
WORKER_DB = 3


@pytest.fixture
def worker(broker, test_database_url, transactional_db, settings, worker_settings) -> Iterator:
    from celery.contrib.testing.worker import start_worker

    from example_project.celery import app

    settings.FLUENT_WEBHOOKS = {
        **worker_settings,
        "DISABLE_AFTER": 5 * DAY,
        "DISABLE_AFTER_FAILURES": 3,
        "WARN_AFTER": DAY,
        "SITE_URL": "https://community.example.com",
        "SITE_NAME": "Example Community",
    }
    previous = app.conf.broker_url
    use_broker(app, broker.url.rsplit("/", 1)[0] + f"/{WORKER_DB}")
    # The worker thread's database connection, closed after each task so that none is left
    # open when the test database is dropped.
    task_postrun.connect(close_connections)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield app
    finally:
        task_postrun.disconnect(close_connections)
        use_broker(app, previous)


def close_connections(**kwargs) -> None:
    connections.close_all()


@pytest.fixture
def disabled_calls() -> Iterator[list[dict]]:
    calls: list[dict] = []

    def record(sender, **kwargs) -> None:
        calls.append(kwargs)

    webhook_disabled.connect(record)
    yield calls
    webhook_disabled.disconnect(record)


def emit() -> None:
    with transaction.atomic():
        send_event("feed.created", {"id": 1})


def attempts_made(webhook: Webhook, count: int) -> None:
    wait_until(
        lambda: (
            Attempt.objects.filter(delivery__webhook=webhook).count() >= count
            and not Delivery.objects.filter(webhook=webhook, status="sending").exists()
        ),
        20,
        f"{count} attempts to {webhook.name}",
    )


def fresh(webhook: Webhook) -> Webhook:
    return Webhook.objects.get(pk=webhook.pk)


def warnings_and_disables() -> tuple[list[str], list[str]]:
    warned = [to for m in mail.outbox if m.subject.endswith("is failing") for to in m.to]
    disabled = [to for m in mail.outbox if m.subject.endswith("was disabled") for to in m.to]
    return sorted(warned), sorted(disabled)


def test_a_refused_connection_warns_once_then_disables_keeping_what_is_owed(
    worker, disabled_calls, admin_user, manager_user, member_user, api
):
    refused = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    webhook = Webhook.objects.create(
        name="Refused", url=refused, events=["feed.created"], retry_count=0
    )
    # Two days of failures behind it already (one failed attempt recorded then).
    Webhook.objects.filter(pk=webhook.pk).update(
        consecutive_failures=1, failing_since=timezone.now() - 2 * DAY
    )

    emit()
    attempts_made(webhook, 1)
    wait_until(lambda: len(mail.outbox) == 2, 10, "the warning e-mails")
    warned = fresh(webhook)
    assert (warned.status, warned.consecutive_failures) == ("active", 2)
    assert warned.warned_at is not None
    assert "Connection refused" in (warned.last_error or "")
    # The superuser and the manager; not the member without the permission.
    assert warnings_and_disables() == (["admin@example.com", "m@example.com"], [])
    body = mail.outbox[0].body
    assert "Failed attempts in a row: 2" in body
    assert "Connection refused" in body.split("Last error: ")[1]

    emit()  # the same run of failures: no second warning
    attempts_made(webhook, 2)
    assert fresh(webhook).consecutive_failures == 3
    assert len(mail.outbox) == 2

    # Six days in: the next failed attempt switches it off.
    Webhook.objects.filter(pk=webhook.pk).update(failing_since=timezone.now() - 6 * DAY)
    # A delivery still owed at that moment (a retry not yet due) must survive the disable.
    owed = Delivery.objects.create(
        event=Event.objects.create(name="feed.created", body="{}", fanned_out_at=timezone.now()),
        webhook=webhook,
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )
    emit()
    attempts_made(webhook, 3)
    wait_until(lambda: len(mail.outbox) == 4, 10, "the disable e-mails")
    disabled = fresh(webhook)
    assert disabled.status == "inactive"
    assert disabled.disabled_at is not None
    assert disabled.disabled_reason.startswith("Every delivery attempt failed for 6 days")
    assert warnings_and_disables()[1] == ["admin@example.com", "m@example.com"]
    assert [call["webhook"].pk for call in disabled_calls] == [webhook.pk]
    assert disabled_calls[0]["failures"] == 4

    # Due now, and even handed to the worker directly (a message already in the queue): it
    # is neither sent nor closed while the webhook is inactive. A delivery to a healthy
    # webhook rides in the same message, so that its arrival says the message was worked.
    witness = Receiver().start()
    try:
        healthy = Webhook.objects.create(name="Healthy", url=witness.url(), events=[])
        beside = Delivery.objects.create(event=owed.event, webhook=healthy)
        Delivery.objects.filter(pk=owed.pk).update(next_attempt_at=timezone.now())
        hand_out([(webhook.pk, owed.pk), (healthy.pk, beside.pk)])
        wait_until(
            lambda: Delivery.objects.get(pk=beside.pk).status == "succeeded", 20, "the witness"
        )
    finally:
        witness.stop()
    owed.refresh_from_db()
    assert (owed.status, owed.attempt_count, owed.last_error) == ("pending", 0, "")
    sweep()  # the sweep does not hand it out either
    assert Delivery.objects.get(pk=owed.pk).enqueued_at == owed.enqueued_at

    # A new event reaches no inactive webhook.
    emit()
    wait_until(
        lambda: not Event.objects.filter(fanned_out_at__isnull=True).exists(), 20, "the fan-out"
    )
    assert Delivery.objects.filter(webhook=webhook).count() == 4  # 3 attempted, 1 kept

    receiver = Receiver().start()
    try:
        # Fix the receiver and re-activate, as the e-mail says; the kept delivery goes out.
        response = api.put(
            f"{API}/{webhook.pk}", {"url": receiver.url(), "status": "active"}, format="json"
        )
        assert response.status_code == 200, response.content
        again = fresh(webhook)
        assert (again.disabled_at, again.disabled_reason, again.consecutive_failures) == (
            None,
            None,
            0,
        )
        # The sweep hands it out once its last hand-off is STUCK_AFTER old.
        wait_until(lambda: sweep() is not None and receiver.requests, 30, "the kept delivery")
        (request,) = receiver.wait_for(1)
        assert request.headers["X-Fluent-Delivery"] == str(owed.pk)
    finally:
        receiver.stop()
    wait_until(
        lambda: Delivery.objects.get(pk=owed.pk).status == "succeeded", 10, "the kept delivery"
    )
    assert len(mail.outbox) == 4


def test_a_receiver_that_times_out_is_disabled_too(worker, disabled_calls, admin_user):
    slow = Receiver().start()
    slow.reply = Reply(delay=3)  # READ_TIMEOUT is 1 s here
    try:
        webhook = Webhook.objects.create(
            name="Slow", url=slow.url(), events=["feed.created"], retry_count=0
        )
        Webhook.objects.filter(pk=webhook.pk).update(
            consecutive_failures=9, failing_since=timezone.now() - 6 * DAY
        )
        emit()
        attempts_made(webhook, 1)
        wait_until(lambda: len(mail.outbox) == 1, 10, "the disable e-mail")
    finally:
        slow.stop()
    disabled = fresh(webhook)
    assert disabled.status == "inactive"
    assert disabled.last_error == "No answer within 1 s."
    assert mail.outbox[0].to == ["admin@example.com"]
    assert "Last error: No answer within 1 s." in mail.outbox[0].body
    assert [call["webhook"].pk for call in disabled_calls] == [webhook.pk]
