"""Who receives an event: the webhooks that were active and subscribed to it when it happened.

Every writer of a webhook's status or events keeps its subscription history; the fan-out reads
that history at the event's ``created_at``, whenever the fan-out runs.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fluent_webhooks import subscriptions
from fluent_webhooks.backlog import fan_out
from fluent_webhooks.delivery.decide import Gone
from fluent_webhooks.delivery.record import Tally, record_health
from fluent_webhooks.events.emit import record_event
from fluent_webhooks.http.transport import HttpResult
from fluent_webhooks.models import Delivery, Event, SubscriptionPeriod, Webhook
from tests.conftest import API
from tests.test_admin import ADD, CHANGELIST, client_for, form_data
from tests.test_api import curl

pytestmark = pytest.mark.django_db

# Tests with two writers at once: SQLite locks the whole database, so they need PostgreSQL
# (CI's database); on SQLite they would block each other and leave the table locked.
concurrent_writers = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two writers at once need PostgreSQL"
)


def hook(events: list[str] | None = None, **fields) -> Webhook:
    return Webhook.objects.create(
        name="CRM", url="https://crm.example.com/hooks", events=events or ["feed.created"], **fields
    )


def history(webhook: Webhook) -> list[tuple[list[str], bool]]:
    """Its periods, oldest first: the events, and whether the period is still open."""
    return [
        (p.events, p.valid_until is None)
        for p in SubscriptionPeriod.objects.filter(webhook=webhook).order_by("valid_from", "pk")
    ]


def happened() -> Event:
    """An event written now, its fan-out left owed (as while the broker is down)."""
    return record_event("feed.created", {"id": 1})


def receivers(event: Event) -> set[int]:
    fan_out([event.pk])
    return set(Delivery.objects.filter(event=event).values_list("webhook_id", flat=True))


# --- The history: every writer keeps it -------------------------------------------------------


def test_a_webhook_created_active_is_subscribed_from_its_creation():
    before = timezone.now()
    webhook = hook(["feed.created", "comment.created"])
    (period,) = SubscriptionPeriod.objects.filter(webhook=webhook)
    assert period.events == ["feed.created", "comment.created"]
    assert before <= period.valid_from <= timezone.now()
    assert period.valid_until is None


def test_a_webhook_created_inactive_has_no_period():
    assert history(hook(status="inactive")) == []


def test_a_save_that_changes_neither_status_nor_events_writes_no_history():
    webhook = hook()
    webhook.name = "Renamed"
    webhook.save()
    webhook.events = ["feed.created"]
    webhook.save(update_fields=["events", "updated_at"])  # the same events: nothing changed
    assert history(webhook) == [(["feed.created"], True)]


def test_the_api_update_closes_the_period_and_opens_the_next(admin_user):
    webhook = hook()
    status, _ = curl("PUT", f"{API}/{webhook.pk}", {"events": ["space.created"]})
    assert status == 200
    status, _ = curl("PUT", f"{API}/{webhook.pk}", {"status": "inactive"})
    assert status == 200
    assert history(webhook) == [(["feed.created"], False), (["space.created"], False)]
    first, second = SubscriptionPeriod.objects.filter(webhook=webhook).order_by("valid_from")
    assert first.valid_until == second.valid_from  # no gap, no overlap
    status, _ = curl("PATCH", f"{API}/{webhook.pk}", {"status": "active"})
    assert status == 200
    assert history(webhook)[-1] == (["space.created"], True)


def test_the_api_create_opens_a_period(admin_user):
    body = {"name": "n", "url": "https://crm.example.com/h", "events": ["feed.created"]}
    status, created = curl("POST", API, body)
    assert status == 201
    assert history(Webhook.objects.get(pk=created["id"])) == [(["feed.created"], True)]


def test_an_invalid_api_update_writes_no_history(admin_user):
    webhook = hook()
    status, _ = curl("PUT", f"{API}/{webhook.pk}", {"events": ["no.such_event"]})
    assert status == 400
    assert history(webhook) == [(["feed.created"], True)]


def test_the_admin_form_and_actions_keep_the_history(admin_user):
    client = client_for(admin_user)
    assert client.post(ADD, form_data(events=["feed.created"])).status_code == 302
    webhook = Webhook.objects.get()
    change = f"{CHANGELIST}{webhook.pk}/change/"
    response = client.post(change, form_data(events=["feed.created", "space.created"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    client.post(CHANGELIST, {"action": "deactivate", "_selected_action": [webhook.pk]})
    client.post(CHANGELIST, {"action": "activate", "_selected_action": [webhook.pk]})
    assert history(webhook) == [
        (["feed.created"], False),
        (["feed.created", "space.created"], False),
        (["feed.created", "space.created"], True),
    ]


def test_a_bulk_status_update_keeps_the_history_of_exactly_the_rows_it_changed():
    one, two, other = hook(), hook(), hook(["space.created"])
    changed = Webhook.objects.filter(pk__in=[one.pk, two.pk]).update(status="inactive")
    assert changed == 2
    assert history(one) == history(two) == [(["feed.created"], False)]
    assert history(other) == [(["space.created"], True)]
    # An annotated queryset, as the admin's list is, updates the same way.
    Webhook.objects.with_recent_attempts().filter(pk=one.pk).update(status="active")
    assert history(one)[-1] == (["feed.created"], True)
    # bulk_update() goes through update() too.
    two.status, other.events = "active", ["*"]
    Webhook.objects.bulk_update([two, other], ["status", "events"])
    assert history(two)[-1] == (["feed.created"], True)
    assert history(other) == [(["space.created"], False), (["*"], True)]


def test_an_update_of_other_fields_leaves_the_history_alone(django_assert_num_queries):
    webhook = hook()
    with django_assert_num_queries(1):
        Webhook.objects.filter(pk=webhook.pk).update(last_error="boom")
    assert history(webhook) == [(["feed.created"], True)]


def test_bulk_create_opens_the_periods_of_the_active_ones():
    active, inactive = Webhook.objects.bulk_create(
        [
            Webhook(name="a", url="https://a.example.com/", events=["*"]),
            Webhook(name="b", url="https://b.example.com/", events=["*"], status="inactive"),
        ]
    )
    assert history(active) == [(["*"], True)]
    assert history(inactive) == []


def test_a_410_gone_recorded_by_the_worker_ends_the_period():
    webhook = hook()
    result = HttpResult(status_code=410, duration_ms=5)
    gone = Gone(uuid.uuid4(), webhook.pk, result, "The receiver answered 410 Gone.")
    record_health({webhook.pk: Tally(gone, failures=1)}, timezone.now())
    assert Webhook.objects.get(pk=webhook.pk).status == "inactive"
    assert history(webhook) == [(["feed.created"], False)]


def test_deleting_a_webhook_deletes_its_history():
    webhook = hook()
    webhook.delete()
    assert not SubscriptionPeriod.objects.exists()


# --- The fan-out: by the time the event happened ----------------------------------------------


def test_a_webhook_created_after_the_event_does_not_receive_it():
    existing = hook()
    event = happened()
    hook()
    assert receivers(event) == {existing.pk}


def test_a_webhook_deactivated_after_the_event_is_still_owed_it():
    webhook = hook()
    event = happened()
    Webhook.objects.filter(pk=webhook.pk).update(status="inactive")
    assert receivers(event) == {webhook.pk}


def test_a_webhook_activated_after_the_event_does_not_receive_it():
    webhook = hook(status="inactive")
    event = happened()
    webhook.status = "active"
    webhook.save()
    assert receivers(event) == set()


def test_a_change_of_events_after_the_event_does_not_change_who_receives_it():
    leaving = hook(["feed.created"])
    joining = hook(["space.created"])
    event = happened()
    leaving.events = ["space.created"]
    leaving.save()
    joining.events = ["*"]
    joining.save()
    assert receivers(event) == {leaving.pk}


def test_a_webhook_switched_off_and_on_misses_only_what_happened_while_off():
    webhook = hook()
    before = happened()
    Webhook.objects.filter(pk=webhook.pk).update(status="inactive")
    while_off = happened()
    Webhook.objects.filter(pk=webhook.pk).update(status="active")
    after = happened()
    fan_out([before.pk, while_off.pk, after.pk])
    owed = set(Delivery.objects.values_list("event_id", flat=True))
    assert owed == {before.pk, after.pk}


def test_one_fan_out_reads_the_history_once_whatever_the_number_of_webhooks():
    for _ in range(3):
        hook()
    events = [happened() for _ in range(3)]
    for webhook in Webhook.objects.all():  # a history of several periods each
        Webhook.objects.filter(pk=webhook.pk).update(events=["*"])

    def statements() -> int:
        Event.objects.update(fanned_out_at=None)
        Delivery.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            fan_out([e.pk for e in events])
        return len(captured)

    few = statements()
    for _ in range(20):
        hook()
    assert statements() == few
    assert Delivery.objects.count() == 3 * 3


@concurrent_writers
@pytest.mark.django_db(transaction=True)
def test_an_event_committed_late_goes_by_when_it_was_written():
    """In a long transaction the event is written (``created_at``) well before it commits:
    what happened to the webhooks meanwhile, committed elsewhere, is judged by that time."""
    switched_off = hook()
    changes_done = threading.Event()

    def meanwhile() -> None:
        try:
            Webhook.objects.filter(pk=switched_off.pk).update(status="inactive")
            hook()  # created while the event's transaction is still open
        finally:
            connection.close()
            changes_done.set()

    with transaction.atomic():
        event = happened()
        thread = threading.Thread(target=meanwhile)
        thread.start()
        assert changes_done.wait(10)
        thread.join()
    assert receivers(event) == {switched_off.pk}


@pytest.mark.django_db(transaction=True)
def test_the_migration_opens_a_period_from_creation_for_each_active_webhook():
    """History before the migration was not kept: ``created_at`` is the honest start."""
    from django.db.migrations.executor import MigrationExecutor

    before = [("fluent_webhooks", "0009_delivery_manual_next_attempt")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("fluent_webhooks")
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("fluent_webhooks", "Webhook")
        url = "https://crm.example.com/hooks"
        active = old.objects.create(name="a", url=url, events=["feed.created"])
        old.objects.create(name="b", url=url, events=["feed.created"], status="inactive")
        old.objects.create(name="c", url=url, events=[])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    (period,) = SubscriptionPeriod.objects.all()
    assert (period.webhook_id, period.events) == (active.pk, ["feed.created"])
    assert (period.valid_from, period.valid_until) == (active.created_at, None)


def open_change_in_a_thread(hold: float) -> tuple[threading.Thread, threading.Event, list]:
    """A webhook created in a transaction of another connection that stays open ``hold``
    seconds after the creation is stamped; returns the thread, its 'stamped' flag and the
    created webhook (once stamped)."""
    stamped = threading.Event()
    created: list[Webhook] = []

    def change() -> None:
        try:
            with transaction.atomic():
                created.append(hook())
                stamped.set()
                time.sleep(hold)
        finally:
            connection.close()

    thread = threading.Thread(target=change)
    thread.start()
    assert stamped.wait(10)
    return thread, stamped, created


@concurrent_writers
@pytest.mark.django_db(transaction=True)
def test_the_fan_out_waits_for_a_change_stamped_before_its_event_to_commit():
    thread, _, (created,) = open_change_in_a_thread(hold=0.5)
    event = happened()  # after the change was stamped, committed before it
    try:
        assert receivers(event) == {created.pk}
    finally:
        thread.join()


@concurrent_writers
@pytest.mark.django_db(transaction=True)
def test_a_change_left_uncommitted_does_not_hold_up_the_fan_out(monkeypatch):
    monkeypatch.setattr(subscriptions, "CHANGES_WAIT", 0.2)
    thread, _, _ = open_change_in_a_thread(hold=3)
    event = happened()
    try:
        started = time.monotonic()
        assert receivers(event) == set()  # by the committed history
        assert time.monotonic() - started < 2
    finally:
        thread.join()
