"""Private services of the fault benchmark: PostgreSQL, Redis, a Celery worker and beat.

Each is the benchmark's own (a cluster in a temporary directory, servers on free ports), so
that it may be killed, restarted and flushed without touching anyone else's.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from tests.services import ROOT, RedisServer, free_port, wait_until

POSTGRES_SETTINGS = """
port = {port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{sockets}'
max_connections = 40
shared_buffers = 32MB
# A killed server loses nothing without fsync (the OS keeps what was written); only a crash
# of the machine would. Spares the shared disk.
fsync = off
"""


_RUN_SECRET_KEY = secrets.token_urlsafe(50)
# Production-like settings have no encryption key for webhook secrets either: one per run.
_RUN_ENCRYPTION_KEY = Fernet.generate_key().decode()


class ServicesClosed(RuntimeError):
    """The benchmark is shutting down: no service may be (re)started."""


@dataclass(frozen=True)
class Exit:
    """A Celery process that stopped by itself: no fault was injected into it."""

    name: str
    at: float  # time.monotonic() when it was found gone
    reason: str  # the last CRITICAL or ERROR line of its log


def postgres_bin() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``: on the PATH, or Debian's newest."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3])
    )
    return versions[-1].parent if versions else None


def missing_services() -> str | None:
    """Why the benchmark cannot run on this machine, or None if it can."""
    if postgres_bin() is None:
        return "PostgreSQL's initdb and pg_ctl are not installed"
    if not RedisServer.available():
        return "redis-server is not installed"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or not _has_postgres_user()):
        return "as root, PostgreSQL needs runuser and a 'postgres' user"
    return None


def _has_postgres_user() -> bool:
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


class PostgresCluster:
    """A PostgreSQL cluster in ``workdir`` on a free port; initdb refuses root, so as root
    every command runs as the ``postgres`` user."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.home = workdir / "postgres"
        self.data = self.home / "data"
        self.log_path = self.home / "postgres.log"
        self.bin = postgres_bin() or Path("/nonexistent")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self.home.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(POSTGRES_SETTINGS.format(port=self.port, sockets=self.home))

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        if program == "initdb":
            command += ["-E", "UTF8", "--no-locale", "--no-sync"]
        done = subprocess.run(command, cwd=self.home, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed:\n{done.stdout}{done.stderr}")


class CeleryProcess:
    """``celery -A example_project ...`` in a session of its own, so that a kill takes its pool
    too. Each start writes a log of its own: ``<name>-<n>.log``."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], logdir: Path, ready: bytes
    ) -> None:
        self.name = name
        self.command = [sys.executable, "-m", "celery", "-A", "example_project", *args]
        self.env = env
        self.logdir = logdir
        self.ready = ready
        self.logs: list[Path] = []
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        log_path = self.logdir / f"{self.name}-{len(self.logs) + 1}.log"
        self.logs.append(log_path)
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 90) -> None:
        process, log_path = self.process, self.logs[-1]
        assert process is not None
        wait_until(
            lambda: self.ready in log_path.read_bytes() or process.poll() is not None,
            timeout,
            f"celery {self.name}",
        )
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"celery {self.name} exited:\n{tail}")

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def last_error(self) -> str:
        """Why it stopped, as its log says: the first critical line, else the last error."""
        lines = self.logs[-1].read_text(errors="replace").splitlines() if self.logs else []
        critical = [line for line in lines if "CRITICAL/" in line]
        found = critical[:1] or [line for line in lines if "ERROR/" in line][-1:]
        return found[0].split("] ", 1)[-1][:200] if found else "no error logged"

    def kill(self) -> None:
        """SIGKILL to the whole process group, as when a machine loses power."""
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        """A warm shutdown, then SIGKILL to whatever of the group is left."""
        if self.process is not None:
            self.process.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(20)
        self.kill()


class Services:
    """Every process of the benchmark; ``close()`` stops them all, and after it nothing more
    may start (a fault that is restarting a service when Ctrl-C comes gives up).

    Like systemd or Kubernetes in production, ``supervise()`` starts again a Celery process
    that stopped by itself, and records it in ``exits``: no fault of ours stopped it.
    """

    def __init__(self, workdir: Path, sweep_interval: float) -> None:
        self.workdir = workdir
        self.sweep_interval = sweep_interval
        self.postgres = PostgresCluster(workdir)
        (workdir / "redis").mkdir()
        self.redis = RedisServer(workdir / "redis")
        self.worker: CeleryProcess | None = None
        self.beat: CeleryProcess | None = None
        self.exits: list[Exit] = []
        self._lock = threading.Lock()
        self._closed = False
        self._supervisor: threading.Thread | None = None

    def start_stores(self) -> None:
        with self.changing():
            self.postgres.init()
            self.postgres.start()
            self.redis.start()

    def environment(self) -> dict[str, str]:
        """The settings of the example project, for the benchmark's own process and Celery's."""
        return {
            "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": _RUN_SECRET_KEY,  # production-like settings need one
            "FLUENT_WEBHOOKS_ENCRYPTION_KEYS": _RUN_ENCRYPTION_KEY,
            "DATABASE_URL": self.postgres.url,
            "CELERY_BROKER_URL": self.redis.url,
            "WEBHOOKS_REQUIRE_HTTPS": "false",
            "WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
            "WEBHOOKS_SWEEP_INTERVAL": str(self.sweep_interval),
            "PYTHONPATH": str(ROOT),
        }

    def start_celery(self, concurrency: int) -> None:
        env = {**os.environ, **self.environment()}
        worker_args = ["worker", "-l", "info", "--pool", "prefork"]
        worker_args += ["--concurrency", str(concurrency), "--without-mingle", "--without-gossip"]
        worker_args += ["--hostname", f"fault-bench-{os.getpid()}@%h"]
        beat_args = ["beat", "-l", "info", "--schedule", str(self.workdir / "beat-schedule")]
        beat_args += ["--pidfile", str(self.workdir / "beat.pid")]
        self.worker = CeleryProcess("worker", worker_args, env, self.workdir, b" ready.")
        self.beat = CeleryProcess("beat", beat_args, env, self.workdir, b"beat: Starting")
        with self.changing():
            self.worker.start()
            self.beat.start()

    def supervise(self, every: float = 0.5) -> None:
        """From now on, restart the worker or beat whenever one stops by itself."""

        def watch() -> None:
            while not self._closed:
                time.sleep(every)
                gone: list[CeleryProcess] = []
                with suppress(ServicesClosed), self.changing():
                    gone = [p for p in (self.worker, self.beat) if p is not None and p.exited()]
                    for process in gone:
                        self.exits.append(
                            Exit(process.name, time.monotonic(), process.last_error())
                        )
                        process.kill()  # what is left of it: its pool, holding claims
                        process.spawn()
                for process in gone:  # not holding off a fault that brings the broker back
                    with suppress(RuntimeError, AssertionError):
                        process.wait_ready()

        self._supervisor = threading.Thread(target=watch, name="supervisor", daemon=True)
        self._supervisor.start()

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Hold off ``close()`` and the supervisor while a service stops or starts; refuse
        once ``close()`` has begun."""
        with self._lock:
            if self._closed:
                raise ServicesClosed
            yield

    def logs(self) -> dict[str, list[Path]]:
        found = {"postgres": [self.postgres.log_path]}
        for process in (self.worker, self.beat):
            if process is not None:
                found[process.name] = process.logs
        return found

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for process in (self.beat, self.worker):
                if process is not None:
                    process.stop()
            self.redis.stop()
            if self.postgres.is_running():
                with suppress(RuntimeError):
                    self.postgres.stop("immediate")
