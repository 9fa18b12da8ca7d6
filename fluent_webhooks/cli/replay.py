"""``webhooks replay ID --since ...``: re-send a window's deliveries through the worker."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import TYPE_CHECKING, Any

from fluent_webhooks.dispatch import replay

from ._common import Failure, find_webhook, report

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

    from fluent_webhooks.models import Webhook

HELP = "Re-send a webhook's deliveries of a time window, oldest event first, via the worker."

#: Seconds between progress lines while --wait follows the worker.
POLL_SECONDS = 2.0


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
        result = replay.replay(
            webhook,
            request,
            progress=lambda done, total: command.stdout.write(f"Queued {done} of {total}..."),
        )
    except Failure as failure:
        return report(command, failure)
    except replay.ReplayInvalid as error:
        return report(command, Failure("Invalid replay.", error.errors))
    command.stdout.write(
        f"{result.matched} matched: {result.queued} queued for the worker, oldest event first; "
        f"{result.already_queued} already queued."
    )
    if options["wait"]:
        _follow(command, webhook, request)
    return 0


def _follow(command: BaseCommand, webhook: Webhook, request: replay.ReplayRequest) -> None:
    """Report every ``POLL_SECONDS`` how many matched deliveries are still owed, until none."""
    while True:
        counts = replay.outcome_counts(webhook, request)
        command.stdout.write(
            f"{counts['owed']} owed, {counts['succeeded']} succeeded, {counts['failed']} failed."
        )
        if not counts["owed"]:
            return
        time.sleep(POLL_SECONDS)
