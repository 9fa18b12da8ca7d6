"""``webhooks rotate-secret ID``: a new secret, the old one valid for a grace period."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError

from fluent_webhooks.formats import api_datetime
from fluent_webhooks.models import Webhook
from fluent_webhooks.rotation import (
    DEFAULT_GRACE_PERIOD,
    InvalidGracePeriod,
    previous_secrets,
    rotate_secret,
)

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "Give a webhook a new secret (printed once); the old one signs for a grace period."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("webhook_id", type=int, metavar="ID")
    parser.add_argument(
        "--grace-period",
        type=int,
        default=DEFAULT_GRACE_PERIOD,
        metavar="SECONDS",
        help=f"how long the old secret stays valid (default {DEFAULT_GRACE_PERIOD}; 0: not at all)",
    )


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    try:
        webhook = rotate_secret(options["webhook_id"], options["grace_period"])
    except Webhook.DoesNotExist:
        raise CommandError(f"No webhook has the id {options['webhook_id']}.") from None
    except InvalidGracePeriod as error:
        raise CommandError(str(error)) from None
    command.stdout.write(f"New secret of webhook {webhook.pk} (shown this once):")
    command.stdout.write(webhook.secret)
    for previous in previous_secrets(webhook):
        command.stdout.write(
            f"An old secret stays valid in webhook-signature until "
            f"{api_datetime(previous.expires_at)} UTC."
        )
    return 0
