"""One run of the fault benchmark, from a fresh database to the report."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from .emitter import Emission, emit_steadily
from .injection import FAULTS, FaultSchedule, FaultWindow, Injector
from .receiver import RecordingReceiver
from .report import LogSummary, Report, Tally
from .services import Services
from .timeline import Timeline

# The two webhooks, both subscribed to every event, told apart by their path.
WEBHOOK_PATHS = ["/a", "/b"]
# Seconds between progress lines while waiting for the deliveries.
PROGRESS_EVERY = 15.0


@dataclass(frozen=True)
class Options:
    events: int = 2000
    rate: float = 50.0  # events a second
    faults: tuple[str, ...] = FAULTS
    spacing: float | None = None  # seconds between faults; None: spread over the emission
    outage: float = 2.0  # seconds a stopped service stays down
    wait: float = 600.0  # seconds to wait for deliveries, after the last fault and emit
    concurrency: int = 4  # worker processes
    sweep_interval: float = 10.0  # seconds between beat's sweeps, production's default
    receiver_delay: float = 0.1  # seconds each answer takes, so deliveries are in flight
    supervise: bool = True  # restart a worker or beat that stops by itself, as systemd would
    keep_logs: Path | None = None  # a folder to copy the logs and records to


def say(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, file=sys.stderr, flush=True)


def run(options: Options) -> Report:
    """Start everything, emit under faults, wait for the deliveries, stop everything."""
    workdir = Path(tempfile.mkdtemp(prefix="fault-bench-"))
    workdir.chmod(0o755)  # PostgreSQL runs as another user and must reach its folder
    services = Services(workdir, options.sweep_interval)
    receiver = RecordingReceiver(options.receiver_delay).start()
    timeline: Timeline | None = None
    try:
        say("starting PostgreSQL and Redis...")
        services.start_stores()
        _setup_django(services.environment(), workdir)
        _create_webhooks(receiver)
        say("starting the Celery worker and beat...")
        services.start_celery(options.concurrency)
        if options.supervise:
            services.supervise()
        faults = ", ".join(options.faults) or "none"
        say(f"emitting {options.events} events at {options.rate:g}/s; faults: {faults}")
        emission = Emission(started_at=time.monotonic())
        if options.keep_logs is not None:
            timeline = Timeline(workdir / "timeline.csv", emission.started_at)
            timeline.start()
        windows = _emit_under_faults(services, receiver, emission, options)
        tally = _wait_for_deliveries(receiver, emission, windows, options)
        if timeline is not None:
            timeline.stop()
        statuses, not_fanned_out = _database_state()
        logs = [LogSummary.of(name, paths) for name, paths in services.logs().items()]
        logs.append(LogSummary.of("emitter", [workdir / "emitter.log"]))
        if options.keep_logs is not None:
            receiver.write_csv(workdir / "arrivals.csv", emission.started_at)
            _write_deliveries(workdir / "deliveries.csv")
        return Report.build(
            options.events,
            options.rate,
            emission,
            tally,
            windows,
            services.exits,
            statuses,
            not_fanned_out,
            logs,
        )
    finally:
        if timeline is not None:
            timeline.stop()
        _close_database()
        services.close()
        receiver.stop()
        if options.keep_logs is not None:
            _keep_logs(workdir, options.keep_logs)
        shutil.rmtree(workdir, ignore_errors=True)


def _setup_django(environment: dict[str, str], workdir: Path) -> None:
    """Point this process at the private services, migrate, and log to a file of its own."""
    import django
    from django.core.management import call_command

    os.environ.update(environment)
    django.setup()
    call_command("migrate", verbosity=0)
    logging.basicConfig(
        filename=workdir / "emitter.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )


def _create_webhooks(receiver: RecordingReceiver) -> None:
    from fluent_webhooks.models import Webhook

    for path in WEBHOOK_PATHS:
        Webhook.objects.create(name=f"fault bench {path}", url=receiver.url(path), events=["*"])


def _emit_under_faults(
    services: Services, receiver: RecordingReceiver, emission: Emission, options: Options
) -> list[FaultWindow]:
    spacing = options.spacing
    if spacing is None:
        spacing = options.events / options.rate / (len(options.faults) + 1)
    schedule = FaultSchedule(
        Injector(services, options.outage),
        list(options.faults),
        emission.started_at,
        spacing,
        owed=lambda: receiver.owed(len(emission.emitted), len(WEBHOOK_PATHS)),
    )
    schedule.start()
    try:
        emit_steadily(emission, options.events, options.rate)
        schedule.join()
    finally:
        schedule.cancel()
    if schedule.error is not None:
        raise RuntimeError("a fault could not be injected") from schedule.error
    for window in schedule.windows:
        took = window.ended_at - window.started_at
        say(f"  {window.name}: back up after {took:.1f} s")
    return schedule.windows


def _wait_for_deliveries(
    receiver: RecordingReceiver,
    emission: Emission,
    windows: list[FaultWindow],
    options: Options,
) -> Tally:
    """Wait until every owed delivery arrived or ``options.wait`` passed after the last fault
    and emit; then one more sweep's time, for duplicates that the same sweep sent."""
    calm_since = max([emission.ended_at, *(window.ended_at for window in windows)])
    deadline = calm_since + options.wait
    next_progress = time.monotonic() + PROGRESS_EVERY
    while True:
        tally = Tally.of(emission.emitted, WEBHOOK_PATHS, receiver.arrivals())
        now = time.monotonic()
        if tally.lost == 0 or now >= deadline:
            break
        if now >= next_progress:
            since = now - calm_since
            say(f"  {tally.lost} of {tally.owed} deliveries owed {since:.0f} s after it all")
            next_progress = now + PROGRESS_EVERY
        time.sleep(0.5)
    if tally.lost == 0:
        time.sleep(options.sweep_interval + 2)
        tally = Tally.of(emission.emitted, WEBHOOK_PATHS, receiver.arrivals())
    return tally


def _database_state() -> tuple[dict[str, int], int]:
    """The deliveries by status, and the events whose fan-out is still owed."""
    from django.db.models import Count

    from fluent_webhooks.models import Delivery, Event

    _close_database()  # a connection from before a PostgreSQL restart is dead
    rows = Delivery.objects.values("status").annotate(count=Count("pk")).order_by()
    statuses = {row["status"]: row["count"] for row in rows}
    return statuses, Event.objects.filter(fanned_out_at__isnull=True).count()


def _write_deliveries(path: Path) -> None:
    """Every delivery as the database ends up with it, to compare with arrivals.csv."""
    import csv
    import json

    from fluent_webhooks.models import Delivery

    columns = ["id", "webhook__url", "status", "attempt_count", "created_at", "completed_at"]
    rows = Delivery.objects.values_list("event__body", *columns).order_by("created_at")
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["seq", *columns])
        for body, *fields in rows.iterator():
            writer.writerow([json.loads(body)["data"].get("id"), *fields])


def _close_database() -> None:
    if "django" in sys.modules:
        from django.db import connections

        with suppress(Exception):  # a dead server's connection may fail to close
            connections.close_all()


def _keep_logs(workdir: Path, folder: Path) -> None:
    """Copy the logs, arrivals.csv, deliveries.csv and timeline.csv out of the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in [*workdir.rglob("*.log"), *workdir.glob("*.csv")]:
        shutil.copy(path, folder / path.name)
