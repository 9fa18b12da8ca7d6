"""``webhooks status``: what is owed and since when, deliveries, webhooks; a health check."""

from __future__ import annotations

import itertools
import json
from argparse import ArgumentParser, ArgumentTypeError
from typing import TYPE_CHECKING, Any

from fluent_webhooks.backlog_report import Backlog, Waiting, backlog, deliveries_by_status
from fluent_webhooks.formats import api_datetime
from fluent_webhooks.models import Webhook
from fluent_webhooks.querysets import success_rate

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = (
    "Show what is owed and since when, deliveries by status and each webhook's 24 h success "
    "rate; exit 1 when something owed is older than --max-age."
)
#: Owed work older than this means the sweeper, the broker or the worker is not doing its job:
#: the sweep runs every 10 s and a lost hand-off is re-sent after STUCK_AFTER (15 s).
DEFAULT_MAX_AGE = 300.0

# What each kind of owed work is called, in the order it is printed.
_OWED = {
    "events_owed": "events to fan out",
    "deliveries_owed": "deliveries due",
    "claims_stuck": "stuck claims",
}
_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
_SINCE = {
    "events_owed": "created",
    "deliveries_owed": "due",
    "claims_stuck": "claim lapsed",
}


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--max-age",
        type=_seconds,
        default=DEFAULT_MAX_AGE,
        metavar="SECONDS",
        help=f"exit 1 when owed work has waited longer than this (default {DEFAULT_MAX_AGE:g})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    report = backlog()
    overdue = report.overdue(options["max_age"])
    counts = deliveries_by_status()
    webhooks = list(Webhook.objects.with_recent_attempts().order_by("id"))
    if options["json"]:
        command.stdout.write(
            json.dumps(_as_json(report, overdue, options["max_age"], counts, webhooks), indent=2)
        )
    else:
        _write_text(command, report, overdue, options["max_age"], counts, webhooks)
    return 1 if overdue else 0


def _write_text(
    command: BaseCommand,
    report: Backlog,
    overdue: dict[str, float],
    max_age: float,
    counts: dict[str, int],
    webhooks: list[Webhook],
) -> None:
    write = command.stdout.write
    write(f"Owed at {api_datetime(report.now)} UTC (no broker message carries them):")
    for kind, label in _OWED.items():
        waiting: Waiting = getattr(report, kind)
        line = f"  {label:<18} {waiting.count:>6}"
        if waiting.count:
            line += (
                f"  oldest {_duration(waiting.age(report.now))}"
                f" ({_SINCE[kind]} {api_datetime(waiting.since)})"
            )
        write(line)
    write("Deliveries:  " + "  ".join(f"{status} {count}" for status, count in counts.items()))
    write("Webhooks:" if webhooks else "Webhooks: none.")
    for webhook in webhooks:
        write(
            f"  {webhook.pk:>5}  {webhook.status:<8}  24 h: {_rate(webhook):<16}"
            f"  {_one_line(webhook.name, 40)}  last error: {_one_line(webhook.last_error) or '-'}"
        )
    if overdue:
        for kind, age in overdue.items():
            command.stdout.write(
                command.style.ERROR(
                    f"UNHEALTHY: the oldest of the {_OWED[kind]} has waited {_duration(age)},"
                    f" more than {_duration(max_age)}."
                )
            )
    else:
        write(command.style.SUCCESS(f"OK: nothing owed has waited more than {_duration(max_age)}."))


def _as_json(
    report: Backlog,
    overdue: dict[str, float],
    max_age: float,
    counts: dict[str, int],
    webhooks: list[Webhook],
) -> dict[str, Any]:
    def waiting(value: Waiting) -> dict[str, Any]:
        return {
            "count": value.count,
            "since": api_datetime(value.since),
            "age_seconds": round(value.age(report.now), 3),
        }

    return {
        "now": api_datetime(report.now),
        "healthy": not overdue,
        "max_age": max_age,
        "overdue": {kind: round(age, 3) for kind, age in overdue.items()},
        "owed": {
            "events": waiting(report.events_owed),
            "deliveries": waiting(report.deliveries_owed),
            "stuck_claims": waiting(report.claims_stuck),
        },
        "deliveries": counts,
        "webhooks": [
            {
                "id": webhook.pk,
                "name": webhook.name,
                "status": webhook.status,
                "attempts_24h": getattr(webhook, "attempts_24h", 0),
                "success_rate_24h": success_rate(webhook),
                "last_error": webhook.last_error,
                "disabled_reason": webhook.disabled_reason,
            }
            for webhook in webhooks
        ],
    }


def _rate(webhook: Webhook) -> str:
    rate = success_rate(webhook)
    if rate is None:
        return "no attempts"
    return f"{rate:.1%} of {getattr(webhook, 'attempts_24h', 0)}"


def _one_line(text: str | None, limit: int = 80) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _duration(seconds: float) -> str:
    """``42 s``, ``5 min 3 s``, ``2 h 4 min``, ``3 d 2 h``: what a person reads at a glance."""
    whole = int(seconds)
    for (name, size), (smaller, smaller_size) in itertools.pairwise(_UNITS):
        if whole >= size:
            rest = whole % size // smaller_size
            return f"{whole // size} {name}" + (f" {rest} {smaller}" if rest else "")
    return f"{whole} s"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):  # NaN fails the comparison
        raise ArgumentTypeError(f"must be a finite number of seconds, 0 or more: {text!r}")
    return value
