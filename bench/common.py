"""Shared set-up of the benchmarks: Django on a scratch PostgreSQL database, a Celery worker.

Environment: ``DATABASE_URL`` (a PostgreSQL server; the scratch database ``BENCH_DATABASE``,
default ``fluent_bench``, is created on it), ``CELERY_BROKER_URL`` (default Redis db 14).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "fluent_bench")
DEFAULT_BROKER = "redis://127.0.0.1:6379/14"


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def setup_django() -> str:
    """Create the scratch database, point Django at it, migrate; returns its URL."""
    import psycopg

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base_url.startswith("postgres"):
        sys.exit("The benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")
    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    url = base_url.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CELERY_BROKER_URL", DEFAULT_BROKER)
    os.environ["DJANGO_SETTINGS_MODULE"] = "example_project.settings"
    # As in production: DEBUG would also keep every SQL query of the worker in memory.
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))  # none without DEBUG
    # Nor an encryption key for webhook secrets; the worker and beat inherit this one.
    os.environ.setdefault("FLUENT_WEBHOOKS_ENCRYPTION_KEYS", _fernet_key())
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")  # nginx and tests speak http
    os.environ.setdefault("WEBHOOKS_REQUIRE_HTTPS", "false")
    os.environ.setdefault("WEBHOOKS_ALLOWED_NETWORKS", "127.0.0.0/8")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return url


def drop_database() -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    base_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


def reset_state() -> None:
    """Empty the app's tables and the broker's Redis database (no worker may be running)."""
    import redis
    from django.db import connection

    from fluent_webhooks.models import Attempt, Delivery, Event, Webhook

    tables = ", ".join(model._meta.db_table for model in (Attempt, Delivery, Event, Webhook))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()


def start_worker(
    concurrency: int | str | None = None,
    *,
    loglevel: str = "warning",
    plain: bool = False,
    log_path: Path | None = None,
) -> subprocess.Popen[bytes]:
    """A Celery worker process of the example project, on the benchmark's database.

    ``concurrency=None`` keeps Celery's default (one process per CPU). ``plain`` runs the
    README's command as it stands; otherwise mingle and gossip are left out.
    """
    command = [sys.executable, "-m", "celery", "-A", "example_project", "worker", "-l", loglevel]
    if concurrency is not None:
        command += ["--concurrency", str(concurrency)]
    if not plain:
        command += ["--without-mingle", "--without-gossip"]
    output = None if log_path is None else log_path.open("ab")
    try:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True,  # its own process group, so stop_worker reaches the pool
        )
    finally:
        if output:
            output.close()


def stop_worker(worker: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Warm shutdown, then kill the worker's process group if it takes longer than ``grace``."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            worker.wait(grace)
    with suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)  # pool processes a killed parent left behind
    worker.wait()


def wait_until_ready(worker: subprocess.Popen[bytes], log_path: Path, timeout: float) -> float:
    """Wall time at which the worker logged ``<hostname> ready.`` (needs ``-l info``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if line.endswith(" ready.") and "/MainProcess]" in line:
                return _logged_at(line) or time.time()
        if worker.poll() is not None:
            break
        time.sleep(0.01)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
    raise RuntimeError(f"The Celery worker did not get ready:\n{tail}")


def _logged_at(line: str) -> float | None:
    """The time of a line in Celery's format ``[2025-01-15 10:30:00,123: INFO/...]``."""
    try:
        return datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    except ValueError:
        return None


@contextmanager
def worker_running(log_path: Path, timeout: float = 60.0) -> Iterator[float]:
    """The README's plain worker (default concurrency, ``-l info``); yields when it was ready."""
    worker = start_worker(None, loglevel="info", plain=True, log_path=log_path)
    try:
        yield wait_until_ready(worker, log_path, timeout)
    finally:
        stop_worker(worker)
