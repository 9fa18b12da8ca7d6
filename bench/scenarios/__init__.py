"""The scenarios ``bench/run.py`` runs, one module each: ``METRICS`` and ``run(bench)``."""

from __future__ import annotations

from typing import Protocol

from report import Metric
from workload import Bench


class Scenario(Protocol):
    METRICS: tuple[Metric, ...]

    def run(self, bench: Bench) -> dict[str, float]: ...
