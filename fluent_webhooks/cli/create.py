"""``webhooks create``: a webhook from the shell, under the API's rules and messages."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import TYPE_CHECKING, Any

from fluent_webhooks import rules
from fluent_webhooks.api.serializers import create_webhook

from ._common import Failure

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "Create a webhook; prints its id and its whole secret (shown this once)."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--name", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument(
        "--events", required=True, help="comma-separated event names, or '*' for all"
    )
    parser.add_argument("--status", help="active (default) or inactive")
    parser.add_argument("--retry-count", help="retries after a failed attempt (default 3)")
    parser.add_argument("--format", help="fluent, slack, discord or template (default: by URL)")
    parser.add_argument("--secret", help="16 to 255 characters (default: generated)")
    parser.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="repeatable"
    )


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    webhook = create_webhook(_cleaned(options))
    command.stdout.write(f"Webhook created successfully: id {webhook.pk}")
    command.stdout.write(f"Secret (shown this once): {webhook.secret}")
    return 0


def _cleaned(options: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": options["name"],
        "url": options["url"],
        "events": [name.strip() for name in options["events"].split(",") if name.strip()],
    }
    for option, field in (("status", "status"), ("format", "format"), ("secret", "secret")):
        if options[option] is not None:
            values[field] = options[option]
    if options["retry_count"] is not None:
        retry_count = options["retry_count"]
        values["retry_count"] = (
            int(retry_count) if retry_count.isascii() and retry_count.isdigit() else retry_count
        )
    if options["header"]:
        values["headers"] = dict(_header(text) for text in options["header"])
    try:
        return rules.clean_webhook(values, creating=True)
    except rules.WebhookInvalid as error:
        # The API's answer: the URL's own message for a bad URL, else "Invalid webhook data."
        message = error.errors["url"] if error.url_invalid else "Invalid webhook data."
        raise Failure(message, error.errors) from None


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon:
        raise Failure(
            "Invalid webhook data.", {"headers": f"Give --header as NAME:VALUE: {text!r}"}
        )
    return name.strip(), value.strip()
