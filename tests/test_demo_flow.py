"""The whole flow as `make demo` runs it: web server, worker, beat, activity, inspector."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from example_project.inspector.models import ReceivedDelivery
from fluent_webhooks.events import TEST_EVENT, registry
from fluent_webhooks.models import Delivery, Event
from tests.conftest import SYSTEM_BROKER_URL
from tests.fake_services import discord_problems, slack_problems
from tests.services import ROOT, free_port

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_every_simulated_event_reaches_the_inspector_signed(test_database_url, broker, tmp_path):
    # CI names its Redis in CELERY_BROKER_URL; elsewhere the tests' own Redis serves.
    broker_url = SYSTEM_BROKER_URL or broker.url.rsplit("/", 1)[0] + "/1"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "DATABASE_URL": test_database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_BROKER_DIR": str(tmp_path),
    }
    command = [sys.executable, "manage.py", "demo", "--port", str(free_port()), "--count", "48"]
    command += ["--exit-when-delivered", "--timeout", "120"]
    completed = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Every emitted event has been delivered." in completed.stdout

    events = Event.objects.exclude(name=TEST_EVENT)
    assert events.count() == 48
    assert set(events.values_list("name", flat=True)) == set(registry.names())
    deliveries = Delivery.objects.filter(event__in=events)
    assert deliveries.count() == 48 * 3  # the inspector, as Slack, as Discord
    assert set(deliveries.values_list("status", flat=True)) == {"succeeded"}
    valid = set(
        ReceivedDelivery.objects.filter(
            signature_valid=True, standard_signature_valid=True
        ).values_list("delivery_id", flat=True)
    )
    assert {str(pk) for pk in deliveries.values_list("pk", flat=True)} <= valid
    # What the Slack and Discord inboxes got, Slack and Discord would have taken.
    for name, problems in (("Demo Slack", slack_problems), ("Demo Discord", discord_problems)):
        bodies = ReceivedDelivery.objects.filter(inbox__webhook__name=name)
        assert bodies.count() == 48
        assert [problems(item.body.encode()) for item in bodies] == [None] * 48
