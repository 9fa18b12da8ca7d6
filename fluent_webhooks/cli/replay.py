"""``webhooks replay ID --since ...``: re-send a window's deliveries through the worker."""

from __future__ import annotations

import logging
import time
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fluent_webhooks.choices import WebhookStatus
from fluent_webhooks.dispatch import broker, replay
from fluent_webhooks.models import Webhook

from ._common import Failure, find_webhook

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "Re-send a webhook's deliveries of a time window, oldest event first, via the worker."

#: Seconds between progress lines while --wait follows the worker.
POLL_SECONDS = 2.0
#: How long --wait follows the worker by default before it gives up (the worker goes on).
WAIT_TIMEOUT_SECONDS = 600


def seconds(text: str) -> float:
    """``--timeout``: a number of seconds above 0 (argparse reports the message)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 10**9:  # also refuses nan and inf
        raise ArgumentTypeError(f"give a number of seconds above 0, not {text!r}")
    return value


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("id", help="the webhook's id")
    parser.add_argument("--since", required=True, help=replay.DATETIME_HELP)
    parser.add_argument("--until", help=f"{replay.DATETIME_HELP} (default: now)")
    parser.add_argument("--events", help="comma-separated event names (default: all)")
    parser.add_argument(
        "--only-failed", action="store_true", help="only deliveries that did not succeed"
    )
    parser.add_argument(
        "--wait", action="store_true", help="follow the worker until every one is sent"
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=WAIT_TIMEOUT_SECONDS,
        help=f"with --wait, give up after this many seconds (default {WAIT_TIMEOUT_SECONDS}); "
        "exit 1 if any is still owed",
    )


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    values: dict[str, object] = {
        "since": options["since"],
        "until": options["until"],
        "only_failed": options["only_failed"],
    }
    if options["events"] is not None:
        values["events"] = [name.strip() for name in options["events"].split(",") if name.strip()]
        # (--events '' is then an empty list, refused as the API refuses [].)
    try:
        webhook = find_webhook(options["id"])
        request = replay.clean_replay(values)
        with _publish_failures() as failures:
            result = replay.replay(
                webhook,
                request,
                progress=lambda done, total: command.stdout.write(f"Queued {done} of {total}..."),
            )
    except replay.ReplayInvalid as error:
        raise Failure("Invalid replay.", error.errors) from None
    if failures:
        command.stderr.write(_broker_trouble(failures[0]))
    command.stdout.write(
        f"{result.matched} matched: {result.queued} queued for the worker, oldest event first; "
        f"{result.already_queued} already queued."
    )
    if options["wait"]:
        return _follow(command, webhook, request, options["timeout"])
    return 0


@contextmanager
def _publish_failures() -> Iterator[list[logging.LogRecord]]:
    """The dispatch's publish-failure records while the block runs, kept from the terminal: the
    dispatch logs them with a traceback for a server's log, and a shell user gets one line."""
    records: list[logging.LogRecord] = []

    def keep(record: logging.LogRecord) -> bool:
        records.append(record)
        return False

    broker.logger.addFilter(keep)
    try:
        yield records
    finally:
        broker.logger.removeFilter(keep)


def _broker_trouble(record: logging.LogRecord) -> str:
    if record.levelno >= logging.ERROR:  # not an outage: a transport to install, as it says
        return record.getMessage()
    reason = str(record.exc_info[1]).rstrip(".") if record.exc_info else "no answer"
    return (
        f"The broker is unreachable ({reason}): the sweeper will hand the deliveries "
        "to the worker when it is back."
    )


def _follow(
    command: BaseCommand, webhook: Webhook, request: replay.ReplayRequest, timeout: float
) -> int:
    """Report every ``POLL_SECONDS`` how many matched deliveries are still owed, until none
    (0); or 1 once the webhook is no longer active or ``timeout`` seconds have gone by, as
    nothing would end the wait (an inactive webhook's deliveries are not sent)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = replay.outcome_counts(webhook, request)
        owed = counts["owed"]
        command.stdout.write(
            f"{owed} owed, {counts['succeeded']} succeeded, {counts['failed']} failed."
        )
        if not owed:
            return 0
        if not Webhook.objects.filter(pk=webhook.pk, status=WebhookStatus.ACTIVE).exists():
            command.stderr.write(
                f"The webhook is no longer active (switched off or deleted): stopped waiting "
                f"with {owed} still owed."
            )
            return 1
        left = deadline - time.monotonic()
        if left <= 0:
            command.stderr.write(
                f"Stopped waiting after {timeout:g} s with {owed} still owed; the worker goes "
                "on with them (see `webhooks deliveries`)."
            )
            return 1
        time.sleep(min(POLL_SECONDS, left))
