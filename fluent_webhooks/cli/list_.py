"""``webhooks list``: every webhook, a line each."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import TYPE_CHECKING, Any

from fluent_webhooks.models import Webhook

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "List the webhooks: id, status, format, events and URL."


def add_arguments(parser: ArgumentParser) -> None:
    pass


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    webhooks = list(Webhook.objects.order_by("id"))
    if not webhooks:
        command.stdout.write("No webhooks.")
        return 0
    for webhook in webhooks:
        events = (
            ", ".join(webhook.events)
            if len(webhook.events) <= 3
            else f"{len(webhook.events)} events"
        )
        command.stdout.write(
            f"{webhook.pk:>5}  {webhook.status:<8}  {webhook.format:<8}  {webhook.name}  "
            f"{webhook.url}  [{events}]"
        )
    return 0
