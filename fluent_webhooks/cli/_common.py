"""What the subcommands share: finding records as the API finds them, and failing as it says."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fluent_webhooks.api.errors import DELIVERY_NOT_FOUND_MESSAGE, NOT_FOUND_MESSAGE
from fluent_webhooks.lookups import delivery_pk, webhook_pk
from fluent_webhooks.models import Delivery, Webhook

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand


class Failure(Exception):
    """Ends a subcommand with status 1 and the API's message (and per-field messages); the
    ``webhooks`` command reports it, so a subcommand only raises it."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def report(command: BaseCommand, failure: Failure) -> int:
    command.stderr.write(failure.message)
    for field, message in failure.errors.items():
        command.stderr.write(f"  {field}: {message}")
    return 1


def find_webhook(text: str) -> Webhook:
    pk = webhook_pk(text)
    webhook = None if pk is None else Webhook.objects.filter(pk=pk).first()
    if webhook is None:
        raise Failure(NOT_FOUND_MESSAGE)
    return webhook


def find_delivery(text: str) -> Delivery:
    pk = delivery_pk(text)
    delivery = None if pk is None else Delivery.objects.filter(pk=pk).first()
    if delivery is None:
        raise Failure(DELIVERY_NOT_FOUND_MESSAGE)
    return delivery
