"""The figures a scenario reports, and the table of min/median/max over runs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One figure of a scenario, with its target (None: informative only)."""

    key: str
    label: str
    unit: str  # "/s", "ms", "s", "%", "MB" or "" (a count)
    target: float | None = None
    higher_is_better: bool = True

    def format(self, value: float) -> str:
        if math.isnan(value):
            return "-"
        if math.isinf(value):
            return "inf"
        if self.unit == "%":
            return f"{value * 100:.1f}%"
        if self.unit == "s":
            return f"{value:.2f} s"
        if self.unit == "ms":
            return f"{value:,.0f} ms"
        if self.unit == "/s":
            return f"{value:,.0f}/s"
        if self.unit == "MB":
            return f"{value:,.1f} MB"
        return f"{value:,.0f}"

    def target_text(self) -> str:
        if self.target is None:
            return ""
        return ("≥ " if self.higher_is_better else "≤ ") + self.format(self.target)

    def met(self, value: float) -> str:
        if self.target is None or math.isnan(value):
            return ""
        ok = value >= self.target if self.higher_is_better else value <= self.target
        return "ok" if ok else "MISS"


def table(rows: Sequence[tuple[str, Metric, Sequence[float]]]) -> str:
    """scenario | metric | min | median | max | target | met (the median against the target)."""
    header = ("scenario", "metric", "min", "median", "max", "target", "")
    lines = [header]
    for scenario, metric, values in rows:
        present = [value for value in values if not math.isnan(value)]
        low, mid, high = (
            (min(present), statistics.median(present), max(present)) if present else (math.nan,) * 3
        )
        lines.append(
            (
                scenario,
                metric.label,
                metric.format(low),
                metric.format(mid),
                metric.format(high),
                metric.target_text(),
                metric.met(mid),
            )
        )
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    aligned = [
        "  ".join(
            cell.ljust(width) if column < 2 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    return "\n".join([aligned[0], "-" * len(aligned[0]), *aligned[1:]])
