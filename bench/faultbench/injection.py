"""The faults, injected one after another while events are being emitted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from .services import Services

FAULTS = ("kill", "redis-restart", "flushall", "pg-restart")
# Seconds at least between the end of one fault and the start of the next.
MIN_GAP = 1.0


@dataclass(frozen=True)
class FaultWindow:
    """One fault; times are ``time.monotonic()``, ``ended_at`` when the service was back up;
    ``owed``: deliveries emitted but not yet arrived when it began (did it find work?)."""

    name: str
    started_at: float
    ended_at: float
    owed: int = 0


class Injector:
    """Breaks the services in the ways production sees; ``outage``: seconds a stopped service
    stays down before it is started again."""

    def __init__(self, services: Services, outage: float) -> None:
        self.services = services
        self.outage = outage
        self._faults: dict[str, Callable[[], None]] = {
            "kill": self._kill_worker,
            "redis-restart": self._restart_redis,
            "flushall": self._flush_redis,
            "pg-restart": self._restart_postgres,
        }

    def inject(self, name: str, owed: int = 0) -> FaultWindow:
        started = time.monotonic()
        self._faults[name]()
        return FaultWindow(name, started, time.monotonic(), owed)

    def _kill_worker(self) -> None:
        """``kill -9`` of the worker's whole process group, then a new worker."""
        worker = self.services.worker
        assert worker is not None
        with self.services.changing():
            worker.kill()
        time.sleep(self.outage)
        with self.services.changing():
            worker.spawn()
        worker.wait_ready()

    def _restart_redis(self) -> None:
        """Stop and start the broker; it saves nothing, so every message is gone."""
        with self.services.changing():
            self.services.redis.stop()
        time.sleep(self.outage)
        with self.services.changing():
            self.services.redis.start()

    def _flush_redis(self) -> None:
        """``FLUSHALL``: the broker forgets everything while every connection stays up."""
        client = redis.Redis(host="127.0.0.1", port=self.services.redis.port)
        try:
            client.flushall()
        finally:
            client.close()

    def _restart_postgres(self) -> None:
        """An immediate shutdown (no checkpoint, every connection cut), then a start."""
        with self.services.changing():
            self.services.postgres.stop("immediate")
        time.sleep(self.outage)
        with self.services.changing():
            self.services.postgres.start()


class FaultSchedule(threading.Thread):
    """Injects fault ``i`` at ``start + (i + 1) * spacing``, or ``MIN_GAP`` after the one
    before it ended if that is later. ``owed()`` counts the deliveries in the pipeline when a
    fault begins. ``error`` holds what stopped the schedule, if anything did."""

    def __init__(
        self,
        injector: Injector,
        names: list[str],
        start: float,
        spacing: float,
        owed: Callable[[], int],
    ) -> None:
        super().__init__(name="faults", daemon=True)
        self.injector = injector
        self.owed = owed
        self.names = names
        self.start_at = start
        self.spacing = spacing
        self.windows: list[FaultWindow] = []
        self.error: BaseException | None = None
        self._cancelled = threading.Event()

    def run(self) -> None:
        ready_at = self.start_at
        try:
            for index, name in enumerate(self.names):
                planned = max(self.start_at + (index + 1) * self.spacing, ready_at)
                if self._cancelled.wait(max(0.0, planned - time.monotonic())):
                    return
                window = self.injector.inject(name, self.owed())
                self.windows.append(window)
                ready_at = window.ended_at + MIN_GAP
        except BaseException as error:
            self.error = error

    def cancel(self) -> None:
        self._cancelled.set()
