"""``webhooks deliveries ID``: a webhook's delivery log, newest first."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import TYPE_CHECKING, Any

from fluent_webhooks.api.serializers import delivery_object
from fluent_webhooks.choices import DeliveryStatus
from fluent_webhooks.models import Delivery

from ._common import Failure, find_webhook, report

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "List a webhook's deliveries, newest first: id, status, attempts, event, last result."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("id", help="the webhook's id")
    parser.add_argument("--status", choices=DeliveryStatus.values)
    parser.add_argument("--event", help="only this event")
    parser.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    try:
        webhook = find_webhook(options["id"])
    except Failure as failure:
        return report(command, failure)
    deliveries = Delivery.objects.for_log().filter(webhook=webhook)
    if options["status"]:
        deliveries = deliveries.filter(status=options["status"])
    if options["event"]:
        deliveries = deliveries.filter(event__name=options["event"])
    listed = list(deliveries[: max(options["limit"], 0)])
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
