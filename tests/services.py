"""Real services for integration tests: a private Redis server and a Celery worker process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class RedisServer:
    """A redis-server of our own on a free loopback port, so tests may stop and restart it."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        wait_until(self.is_up, 10, "redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.2) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class CeleryWorker:
    """``celery -A example_project worker`` as a separate process, as in production."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        concurrency: int = 4,
        *,
        celery: list[str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.concurrency = concurrency
        self.celery = celery or [sys.executable, "-m", "celery", "-A", "example_project"]
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [*self.celery, "worker"]
        command += ["--pool", "prefork", "--concurrency", str(self.concurrency), "-l", "info"]
        command += ["--without-mingle", "--without-gossip", "--hostname", f"test-{os.getpid()}@%h"]
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=self.cwd,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill() takes the pool too
        )
        wait_until(lambda: b" ready." in self.log_path.read_bytes() or self._died(), 60, "worker")
        if self._died():
            raise AssertionError(f"celery worker exited:\n{self.log()}")

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
            self._log.close()

    def kill(self) -> None:
        """Die as a machine that loses power: SIGKILL to the worker and its pool, no cleanup."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None
            self._log.close()
