"""``webhooks redeliver DELIVERY_ID``: a manual attempt now, with the same delivery id."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import TYPE_CHECKING, Any

from fluent_webhooks.api.errors import DELIVERY_IN_PROGRESS_MESSAGE, WEBHOOK_INACTIVE_MESSAGE
from fluent_webhooks.delivery.decide import AttemptOutcome
from fluent_webhooks.delivery.pipeline import redeliver

from ._common import Failure, find_delivery

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "Send a delivery again now (a manual attempt, same delivery id) and show the answer."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("delivery_id", help="the delivery's id (X-Fluent-Delivery)")


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    delivery = find_delivery(options["delivery_id"])
    if not delivery.webhook.is_active:  # as the API: an inactive webhook is sent nothing
        raise Failure(WEBHOOK_INACTIVE_MESSAGE)
    outcome = redeliver(delivery.pk)
    if outcome is None:
        raise Failure(DELIVERY_IN_PROGRESS_MESSAGE)
    if outcome.error is not None:
        command.stderr.write(f"Delivery {delivery.pk}: {outcome.error}")
        return 1
    status = outcome.result.status_code if isinstance(outcome, AttemptOutcome) else None
    command.stdout.write(f"Delivery {delivery.pk} redelivered (status {status}).")
    return 0
