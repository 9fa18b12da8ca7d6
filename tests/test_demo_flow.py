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
    logs = tmp_path / "logs"
    command = [sys.executable, "manage.py", "demo", "--port", str(free_port()), "--count", "48"]
    command += ["--exit-when-delivered", "--timeout", "120", "--log-dir", str(logs)]
    # Piped, as `make demo | tee demo.log` or CI: each line shows when written, not at exit.
    demo = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first_line = demo.stdout.readline()
        still_running = demo.poll() is None
        stdout, stderr = demo.communicate(timeout=300)
    finally:
        demo.kill()
    assert demo.returncode == 0, stdout[-3000:] + stderr[-3000:]
    assert first_line.startswith("Started the web server, a Celery worker and beat")
    assert still_running

    # The terminal keeps what a person needs, the addresses last; the servers write to files.
    lines = stdout.rstrip().splitlines()
    assert lines[-10] == "Every emitted event has been delivered."
    assert lines[-8] == "The demo is running. Deliveries arrive within seconds:"
    assert lines[-7].startswith("  Inspector:  http://127.0.0.1:")
    assert (
        lines[-2] == f"  Logs:       {logs / 'web.log'}, {logs / 'worker.log'}, {logs / 'beat.log'}"
    )
    assert lines[-1] == "Ctrl-C stops every process the demo started."
    assert len(lines) <= 20
    assert "HTTP/1.1" not in stdout + stderr
    assert "celery@" not in stdout + stderr
    assert "POST /inspector/" in (logs / "web.log").read_text()
    assert "celery@" in (logs / "worker.log").read_text()

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
