"""Shared set-up of the benchmarks: Django on a scratch PostgreSQL database of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "fluent_bench"


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
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    os.environ["DJANGO_SETTINGS_MODULE"] = "example_project.settings"
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


def start_worker(concurrency: str) -> subprocess.Popen[bytes]:
    """A Celery worker process of the example project, on the benchmark's database."""
    command = [sys.executable, "-m", "celery", "-A", "example_project", "worker"]
    command += [
        "-l",
        "warning",
        "--concurrency",
        concurrency,
        "--without-mingle",
        "--without-gossip",
    ]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
