"""Prometheus metrics: a real worker's counters and the backlog gauges, as Prometheus scrapes
them from ``manage.py webhooks metrics-server`` and from the Django view."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from fluent_webhooks import send_event
from fluent_webhooks.metrics.views import metrics
from fluent_webhooks.models import Delivery, Event, Webhook
from tests.receiver import ReceivedRequest, Reply
from tests.services import ROOT, free_port, wait_until

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def manage_env(**extra: str) -> dict[str, str]:
    """The environment of a ``manage.py`` process of ours, on the test settings."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **extra}


@pytest.fixture
def metrics_server(live, test_database_url) -> Iterator[str]:
    """``manage.py webhooks metrics-server`` beside the worker, reading its directory."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "webhooks", "metrics-server", "--port", str(port)],
        cwd=ROOT,
        env=manage_env(
            DATABASE_URL=test_database_url,
            PROMETHEUS_MULTIPROC_DIR=live.env["PROMETHEUS_MULTIPROC_DIR"],
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline().decode()
        assert banner.startswith(f"Serving metrics on http://127.0.0.1:{port}/metrics"), banner
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        server.terminate()
        server.wait(10)


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        return parse(response.read().decode())


def emit(name: str, data: dict) -> Event:
    with transaction.atomic():
        return send_event(name, data)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_workers_deliveries_and_the_backlog_are_scraped(
    live, broker, receiver, metrics_server, monkeypatch
):
    def answer(request: ReceivedRequest) -> Reply:
        return Reply(status=500) if request.path == "/fail" else Reply()

    receiver.respond = answer
    Webhook.objects.create(name="ok", url=receiver.url("/ok"), events=["report.resolved"])
    Webhook.objects.create(
        name="fail", url=receiver.url("/fail"), events=["report.resolved"], retry_count=1
    )
    Webhook.objects.create(
        name="off",
        url=receiver.url("/off"),
        events=["report.resolved"],
        status="inactive",
        disabled_at=timezone.now(),
        disabled_reason="Every attempt failed for 5 days.",
    )
    Webhook.objects.create(name="paused", url=receiver.url("/p"), events=[], status="inactive")
    before = scrape(metrics_server)  # other tests' deliveries went through the same worker

    for number in range(3):
        emit("report.resolved", {"id": number})
    # Each event: delivered to /ok; to /fail a 500, retried once (0.3 s later), given up.
    receiver.wait_for(9)
    wait_until(
        lambda: Delivery.objects.filter(status__in=["succeeded", "failed"]).count() == 6,
        20,
        "the deliveries to finish",
    )

    def delta(name: str, **labels: str) -> float:
        return value(scrape(metrics_server), name, **labels) - value(before, name, **labels)

    # Counted by the pool processes after each group is recorded: give the last one a moment.
    wait_until(
        lambda: (
            delta("fluent_webhooks_attempts_total", outcome="gave_up", event="report.resolved") == 3
        ),
        10,
        "the last attempts to be counted",
    )
    after = scrape(metrics_server)

    def changed(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    event = {"event": "report.resolved"}
    assert changed("fluent_webhooks_attempts_total", outcome="delivered", **event) == 3
    assert changed("fluent_webhooks_attempts_total", outcome="retry_later", **event) == 3
    assert changed("fluent_webhooks_attempts_total", outcome="gave_up", **event) == 3
    assert changed("fluent_webhooks_deliveries_total", outcome="succeeded", **event) == 3
    assert changed("fluent_webhooks_deliveries_total", outcome="failed", **event) == 3
    assert changed("fluent_webhooks_attempt_duration_seconds_count") == 9
    assert changed("fluent_webhooks_delivery_latency_seconds_count") == 3
    # A loopback receiver answers within seconds of the commit.
    assert changed("fluent_webhooks_delivery_latency_seconds_bucket", le="10.0") == 3
    assert value(after, "fluent_webhooks_backlog_up") == 1
    assert value(after, "fluent_webhooks_webhooks_inactive") == 2
    assert value(after, "fluent_webhooks_webhooks_disabled") == 1
    for status in ("pending", "sending"):
        assert value(after, "fluent_webhooks_deliveries_unfinished", status=status) == 0
    assert value(after, "fluent_webhooks_events_owed") == 0

    # The broker stops: two events stay owed, the oldest written two minutes ago.
    broker.stop()
    try:
        first = emit("report.resolved", {"id": 10})
        emit("report.resolved", {"id": 11})
    finally:
        broker.start()
    Event.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(seconds=120))
    owed = scrape(metrics_server)
    assert value(owed, "fluent_webhooks_events_owed") == 2
    assert 120 <= value(owed, "fluent_webhooks_events_owed_oldest_age_seconds") < 130

    # The site's Django view shows the same, merging the worker's directory.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", live.env["PROMETHEUS_MULTIPROC_DIR"])
    response = metrics(RequestFactory().get("/metrics"))
    assert response.status_code == 200
    from_view = parse(response.content.decode())
    assert value(from_view, "fluent_webhooks_events_owed") == 2
    for name, labels in [
        ("fluent_webhooks_attempts_total", {"outcome": "delivered", **event}),
        ("fluent_webhooks_deliveries_total", {"outcome": "failed", **event}),
    ]:
        assert value(from_view, name, **labels) == value(after, name, **labels)


@pytest.mark.django_db
def test_the_view_serves_the_backlog_of_this_database_and_only_to_get() -> None:
    Webhook.objects.create(name="x", url="https://x.example.com/", events=["*"], status="inactive")
    Event.objects.create(name="feed.created", body="{}", enqueued_at=None)  # hand-off failed
    response = metrics(RequestFactory().get("/metrics"))
    assert response.status_code == 200
    samples = parse(response.content.decode())
    assert value(samples, "fluent_webhooks_events_owed") == 1
    assert value(samples, "fluent_webhooks_webhooks_inactive") == 1
    assert metrics(RequestFactory().post("/metrics")).status_code == 405


@pytest.mark.django_db
def test_a_database_error_is_a_gauge_not_a_failed_scrape(monkeypatch) -> None:
    from django.db import OperationalError

    from fluent_webhooks.metrics import collector

    def unreachable(*args: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(collector, "backlog", unreachable)
    response = metrics(RequestFactory().get("/metrics"))
    assert response.status_code == 200
    samples = parse(response.content.decode())
    assert value(samples, "fluent_webhooks_backlog_up") == 0
    assert ("fluent_webhooks_events_owed", frozenset()) not in samples


def test_a_metrics_directory_that_is_missing_never_stops_a_delivery(tmp_path) -> None:
    """A worker whose PROMETHEUS_MULTIPROC_DIR is gone still delivers; the error is logged."""
    code = textwrap.dedent(
        """
        import os, sys
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]  # never created
        import django
        django.setup()
        from fluent_webhooks import metrics
        metrics.observe_attempts([], [])
        metrics.observe_attempts([], [])
        print("went on")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "missing")],
        cwd=ROOT,
        env=manage_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "went on", result.stderr
    assert result.stderr.count("Could not count webhook metrics") == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_without_prometheus_client_nothing_breaks(test_database_url, receiver, worker_settings):
    """The app with the optional extra not installed: a delivery is sent and recorded, the
    status command works, the view and the server say what to install."""
    webhook = Webhook.objects.create(name="plain", url=receiver.url(), events=["*"])
    code = textwrap.dedent(
        """
        import sys
        sys.modules["prometheus_client"] = None  # as if not installed: importing it fails
        import django
        django.setup()
        from django.core.management import call_command
        from django.test import RequestFactory
        from fluent_webhooks import metrics
        from fluent_webhooks.delivery.pipeline import send_test
        from fluent_webhooks.metrics.views import metrics as view
        from fluent_webhooks.models import Webhook

        assert not metrics.AVAILABLE
        outcome = send_test(Webhook.objects.get(pk=int(sys.argv[1])))
        print("delivered", outcome.success, outcome.status_code)
        response = view(RequestFactory().get("/metrics"))
        print("view", response.status_code, response.content.decode())
        call_command("webhooks", "status", "--json")
        try:
            call_command("webhooks", "metrics-server")
        except SystemExit as exit_:
            print("server exit", exit_.code)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(webhook.pk)],
        cwd=ROOT,
        env=manage_env(
            DATABASE_URL=test_database_url,
            FLUENT_WEBHOOKS_TEST_SETTINGS=json.dumps(worker_settings),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "delivered True 200" in result.stdout
    assert "view 503 Metrics need prometheus_client: pip install" in result.stdout
    assert '"healthy": true' in result.stdout
    assert "server exit 1" in result.stdout
    assert "Metrics need prometheus_client" in result.stderr
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED


@pytest.mark.django_db
def test_a_test_send_is_counted_but_is_no_delivery_latency(receiver, loopback_allowed) -> None:
    """Manual attempts (test sends, redeliveries of old events) are attempts, but how long
    they come after the event says nothing about delivery latency."""
    from prometheus_client import REGISTRY

    from fluent_webhooks.delivery.pipeline import send_test

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    attempts = {"outcome": "delivered", "event": "webhook.test"}
    before = sample("fluent_webhooks_attempts_total", **attempts)
    latencies = sample("fluent_webhooks_delivery_latency_seconds_count")
    webhook = Webhook.objects.create(name="t", url=receiver.url(), events=["*"])
    assert send_test(webhook).success
    assert sample("fluent_webhooks_attempts_total", **attempts) == before + 1
    assert sample("fluent_webhooks_deliveries_total", outcome="succeeded", event="webhook.test")
    assert sample("fluent_webhooks_delivery_latency_seconds_count") == latencies
