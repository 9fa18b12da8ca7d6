"""``webhooks test ID``: send a signed test payload now, as the API's test endpoint does."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import TYPE_CHECKING, Any

from fluent_webhooks.delivery.pipeline import send_test

from ._common import find_webhook

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "Send a signed test payload to a webhook now and show the answer."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("id", help="the webhook's id")


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    webhook = find_webhook(options["id"])
    outcome = send_test(webhook)
    status = outcome.status_code if outcome.status_code is not None else "-"
    line = f"{outcome.message} (status {status}, {outcome.response_time} ms)"
    if outcome.success:
        command.stdout.write(line)
        return 0
    command.stderr.write(line)
    return 1
