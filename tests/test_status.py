"""``manage.py webhooks status``: what is owed and since when, and a health check's exit status."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from fluent_webhooks import send_event
from fluent_webhooks.cli.status import DEFAULT_MAX_AGE
from fluent_webhooks.models import Attempt, Delivery, Event, Webhook


def status(*args: str) -> tuple[int, str]:
    """The command's exit status and what it printed."""
    out = StringIO()
    try:
        call_command("webhooks", "status", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def status_json(*args: str) -> tuple[int, dict]:
    code, text = status("--json", *args)
    return code, json.loads(text)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_stopped_brokers_backlog_is_owed_and_fails_the_check_once_too_old(live, broker, receiver):
    Webhook.objects.create(name="CRM", url=receiver.url(), events=["feed.created"])
    broker.stop()
    try:
        for number in range(3):
            with transaction.atomic():
                send_event("feed.created", {"id": number})
    finally:
        broker.start()
    # Nothing sweeps in the tests: the three stay owed, as they would until beat's next sweep.
    code, report = status_json()
    assert code == 0
    events = report["owed"]["events"]
    assert events["count"] == 3
    assert events["age_seconds"] < 10
    assert report["healthy"] is True

    # Its oldest event was written 400 s ago: older than the default threshold (300 s).
    oldest = Event.objects.order_by("pk").first()
    created = timezone.now() - timedelta(seconds=400)
    Event.objects.filter(pk=oldest.pk).update(created_at=created)
    code, report = status_json()
    assert code == 1
    assert report["healthy"] is False
    assert report["owed"]["events"]["count"] == 3
    assert report["owed"]["events"]["since"] == created.strftime("%Y-%m-%d %H:%M:%S")
    assert 400 <= report["owed"]["events"]["age_seconds"] < 410
    assert set(report["overdue"]) == {"events_owed"}

    code, text = status()
    assert code == 1
    assert "events to fan out       3  oldest 6 min 4" in text
    assert "UNHEALTHY: the oldest of the events to fan out has waited 6 min" in text
    assert status("--max-age", "600")[0] == 0


@pytest.mark.django_db
def test_stuck_claims_and_due_deliveries_are_reported_since_when() -> None:
    now = timezone.now()
    webhook = Webhook.objects.create(name="CRM", url="https://crm.example.com/hook", events=["*"])
    stuck_event = Event.objects.create(name="feed.created", body="{}", fanned_out_at=now)
    due_event = Event.objects.create(name="feed.created", body="{}", fanned_out_at=now)
    Delivery.objects.create(
        event=stuck_event,
        webhook=webhook,
        status=Delivery.Status.SENDING,
        claimed_at=now - timedelta(seconds=100),
        locked_until=now - timedelta(seconds=90),
        enqueued_at=now - timedelta(seconds=200),
    )
    # Due for a minute, its broker message was sent before it became due (a stored retry).
    Delivery.objects.create(
        event=due_event,
        webhook=webhook,
        next_attempt_at=now - timedelta(seconds=60),
        enqueued_at=now - timedelta(seconds=120),
    )
    code, report = status_json("--max-age", "75")
    assert code == 1
    assert report["owed"]["stuck_claims"]["count"] == 1
    assert 90 <= report["owed"]["stuck_claims"]["age_seconds"] < 100
    assert report["owed"]["deliveries"]["count"] == 2  # the lapsed claim is owed as well
    assert 60 <= report["owed"]["deliveries"]["age_seconds"] < 70  # the oldest due time
    assert report["owed"]["events"]["count"] == 0
    assert set(report["overdue"]) == {"claims_stuck"}
    assert report["deliveries"] == {
        "pending": 1,
        "sending": 1,
        "succeeded": 0,
        "failed": 0,
        "cancelled": 0,
    }
    assert set(status_json("--max-age", "50")[1]["overdue"]) == {"claims_stuck", "deliveries_owed"}
    assert status("--max-age", "120")[0] == 0


@pytest.mark.django_db
def test_each_webhooks_24h_success_rate_and_last_error() -> None:
    now = timezone.now()
    flaky = Webhook.objects.create(
        name="Flaky", url="https://flaky.example.com/hook", events=["*"], last_error="HTTP 502."
    )
    Webhook.objects.create(
        name="Quiet", url="https://quiet.example.com/hook", events=["*"], status="inactive"
    )
    for number, (succeeded, age) in enumerate([(True, 1), (False, 2), (True, 3), (False, 48)]):
        event = Event.objects.create(name="feed.created", body="{}", fanned_out_at=now)
        delivery = Delivery.objects.create(event=event, webhook=flaky, status="succeeded")
        Attempt.objects.create(
            delivery=delivery,
            number=number + 1,
            succeeded=succeeded,
            started_at=now - timedelta(hours=age),  # the last one is outside the 24 h
        )
    code, text = status()
    assert code == 0
    flaky_line, quiet_line = [line for line in text.splitlines() if "last error" in line]
    assert flaky_line.split()[:2] == [str(flaky.pk), "active"]
    assert "24 h: 66.7% of 3" in flaky_line
    assert flaky_line.endswith("Flaky  last error: HTTP 502.")
    assert "inactive" in quiet_line
    assert "24 h: no attempts" in quiet_line
    assert quiet_line.endswith("last error: -")
    assert f"OK: nothing owed has waited more than {int(DEFAULT_MAX_AGE) // 60} min." in text
    _, report = status_json()
    rates = {w["name"]: w["success_rate_24h"] for w in report["webhooks"]}
    assert rates == {"Flaky": pytest.approx(2 / 3), "Quiet": None}


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_max_age_that_is_not_a_number_of_seconds_is_refused(value: str) -> None:
    with pytest.raises(CommandError, match="--max-age"):
        status("--max-age", value)
