"""What the receiver saw against what was owed, and the table that shows it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .emitter import Emission
from .injection import FaultWindow
from .receiver import Arrival
from .services import Exit

# A line of Celery's log, of Python's (as the emitter logs) or of PostgreSQL's: its level and
# its message, without the timestamp and process.
_LOG_LINE = re.compile(
    r"^(?:\[[^\]]*: (?P<celery>[A-Z]+)/[^\]]*\]"
    r"|[\d-]+ [\d:.,]+ (?:UTC \[\d+\] )?(?P<plain>[A-Z]+):?)\s*(?P<message>.*)"
)
_ERRORS = {"ERROR", "CRITICAL", "FATAL", "PANIC"}


@dataclass(frozen=True)
class Tally:
    """The owed deliveries (each emitted event to each webhook) against the requests."""

    owed: int
    first_arrivals: dict[tuple[int, str], float]  # (event number, webhook path) -> first time
    duplicated: int  # deliveries whose id arrived more than once
    extra_requests: int  # requests beyond the first of each delivery id
    unexpected: int  # requests for nothing owed, or a second delivery id for one owed

    @property
    def lost(self) -> int:
        return self.owed - len(self.first_arrivals)

    @classmethod
    def of(cls, emitted: Iterable[int], paths: list[str], arrivals: list[Arrival]) -> Tally:
        owed = {(seq, path) for seq in emitted for path in paths}
        first: dict[tuple[int, str], float] = {}
        ids: dict[tuple[int, str], set[str]] = {}
        per_id = Counter(arrival.delivery_id for arrival in arrivals)
        unexpected = 0
        for arrival in arrivals:
            if arrival.seq is None or (arrival.seq, arrival.path) not in owed:
                unexpected += 1
                continue
            pair = (arrival.seq, arrival.path)
            first[pair] = min(first.get(pair, arrival.at), arrival.at)
            ids.setdefault(pair, set()).add(arrival.delivery_id)
        return cls(
            owed=len(owed),
            first_arrivals=first,
            duplicated=sum(1 for count in per_id.values() if count > 1),
            extra_requests=sum(count - 1 for count in per_id.values()),
            unexpected=unexpected + sum(len(found) - 1 for found in ids.values()),
        )


@dataclass(frozen=True)
class LogSummary:
    name: str
    errors: int
    warnings: int
    top: list[tuple[str, int]]  # the commonest error, then warning, lines; no timestamps

    @classmethod
    def of(cls, name: str, paths: Iterable[Path], top: int = 3) -> LogSummary:
        levels: Counter[str] = Counter()
        lines: Counter[tuple[str, str]] = Counter()
        for path in paths:
            if not path.exists():
                continue
            for line in path.read_text(errors="replace").splitlines():
                found = _LOG_LINE.match(line)
                level = found and (found["celery"] or found["plain"])
                if found and (level == "WARNING" or level in _ERRORS):
                    kind = "WARNING" if level == "WARNING" else "ERROR"
                    levels[kind] += 1
                    lines[kind, found["message"][:110]] += 1
        # Errors first, then the commonest.
        ranked = sorted(lines.items(), key=lambda item: (item[0][0] != "ERROR", -item[1]))
        return cls(
            name,
            levels["ERROR"],
            levels["WARNING"],
            [(f"{kind} {message}", count) for (kind, message), count in ranked[:top]],
        )


@dataclass(frozen=True)
class Report:
    """The figures of one run; times in seconds after the first emit."""

    events: int
    rate: float
    emitted: int
    deferred: int  # events PostgreSQL refused at first, emitted once it was back
    refusals: int
    expected: int
    arrived: int
    lost: int
    duplicated: int
    extra_requests: int
    unexpected: int
    faults: list[tuple[str, float, float, int]]  # name, start, end, deliveries owed at start
    exits: list[tuple[str, float, str]]  # Celery processes that stopped by themselves
    emission_ended: float
    last_fault_ended: float | None
    last_owed_arrival: float | None
    # From the end of the last fault to the last owed arrival; None while anything is lost.
    recovery_after_last_fault: float | None
    statuses: dict[str, int]
    events_not_fanned_out: int
    logs: list[LogSummary] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        events: int,
        rate: float,
        emission: Emission,
        tally: Tally,
        windows: list[FaultWindow],
        exits: list[Exit],
        statuses: dict[str, int],
        events_not_fanned_out: int,
        logs: list[LogSummary],
    ) -> Report:
        zero = emission.started_at
        last_fault = max((w.ended_at for w in windows), default=None)
        last_arrival = max(tally.first_arrivals.values(), default=None)
        recovery = None
        if tally.lost == 0 and last_fault is not None and last_arrival is not None:
            recovery = last_arrival - last_fault
        return cls(
            events=events,
            rate=rate,
            emitted=len(emission.emitted),
            deferred=len(emission.deferred),
            refusals=emission.refusals,
            expected=tally.owed,
            arrived=len(tally.first_arrivals),
            lost=tally.lost,
            duplicated=tally.duplicated,
            extra_requests=tally.extra_requests,
            unexpected=tally.unexpected,
            faults=[(w.name, w.started_at - zero, w.ended_at - zero, w.owed) for w in windows],
            exits=[(e.name, e.at - zero, e.reason) for e in exits],
            emission_ended=emission.ended_at - zero,
            last_fault_ended=None if last_fault is None else last_fault - zero,
            last_owed_arrival=None if last_arrival is None else last_arrival - zero,
            recovery_after_last_fault=recovery,
            statuses=statuses,
            events_not_fanned_out=events_not_fanned_out,
            logs=logs,
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        rows = [
            ("faults (s)", " · ".join(_window(*fault) for fault in self.faults) or "none"),
            *(
                (f"{name} stopped by itself", f"at {at:.1f} s: {why}")
                for name, at, why in self.exits
            ),
            ("events emitted", f"{self.emitted} of {self.events} at {self.rate:g}/s"),
            ("  refused, emitted later", f"{self.deferred} ({self.refusals} refusals)"),
            ("deliveries expected", str(self.expected)),
            ("arrived", str(self.arrived)),
            ("lost (never arrived)", str(self.lost)),
            ("duplicated", f"{self.duplicated} ({self.extra_requests} extra requests)"),
            ("unexpected requests", str(self.unexpected)),
            ("emission ended", _seconds(self.emission_ended)),
            ("last fault ended", _seconds(self.last_fault_ended)),
            ("last owed arrival", _seconds(self.last_owed_arrival)),
            ("  after the last fault", _seconds(self.recovery_after_last_fault)),
            ("DB delivery statuses", _counts(self.statuses)),
            ("DB events not fanned out", str(self.events_not_fanned_out)),
        ]
        for log in self.logs:
            rows.append((f"{log.name} log", f"{log.errors} errors, {log.warnings} warnings"))
            rows.extend((f"  {count}x", line) for line, count in log.top)
        width = max(len(label) for label, _ in rows)
        return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def _window(name: str, started: float, ended: float, owed: int) -> str:
    return f"{name} {started:.1f}-{ended:.1f} ({owed} owed)"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "none"
