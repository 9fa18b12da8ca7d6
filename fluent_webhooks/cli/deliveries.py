"""``webhooks deliveries ID``: a webhook's delivery log, newest first."""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from typing import TYPE_CHECKING, Any

from django.http import QueryDict

from fluent_webhooks.api.deliveries import filter_delivery_log
from fluent_webhooks.api.errors import ApiError
from fluent_webhooks.api.serializers import delivery_object
from fluent_webhooks.choices import DeliveryStatus
from fluent_webhooks.models import Delivery

from ._common import Failure, find_webhook

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "List a webhook's deliveries, newest first: id, status, attempts, event, last result."

#: The most --limit lists: a log to read in a terminal, not an export.
LIMIT_MAX = 1000


def limit(text: str) -> int:
    """``--limit``: a whole number from 1 to ``LIMIT_MAX`` (argparse reports the message)."""
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= LIMIT_MAX):
        raise ArgumentTypeError(f"give a whole number from 1 to {LIMIT_MAX}, not {text!r}")
    return int(text)


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("id", help="the webhook's id")
    parser.add_argument("--status", choices=DeliveryStatus.values)
    parser.add_argument("--event", help="only these events (comma-separated)")
    parser.add_argument(
        "--limit",
        type=limit,
        default=20,
        help=f"at most this many (default 20, at most {LIMIT_MAX})",
    )


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    query = QueryDict(mutable=True)
    for name in ("status", "event"):
        if options[name]:
            query[name] = options[name]
    try:
        webhook = find_webhook(options["id"])
        # The API's filters, so a value it refuses is refused here with its message.
        deliveries = filter_delivery_log(Delivery.objects.for_log().filter(webhook=webhook), query)
    except ApiError as error:
        raise Failure(error.message, error.extra_data.get("errors")) from None
    listed = list(deliveries[: options["limit"]])
    if not listed:
        command.stdout.write("No deliveries.")
        return 0
    for delivery in listed:
        item = delivery_object(delivery)
        result = item["last_error"] or (
            f"HTTP {item['last_status_code']}" if item["last_status_code"] else ""
        )
        command.stdout.write(
            f"{item['id']}  {item['created_at']}  {item['status']:<9}  "
            f"{item['attempt_count']:>2}  {item['event']}  {result}".rstrip()
        )
    return 0
