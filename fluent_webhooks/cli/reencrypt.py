"""``webhooks reencrypt``: every stored secret and custom header under the newest key."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import TYPE_CHECKING, Any

from django.db import transaction

from fluent_webhooks.models import Webhook

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "Re-encrypt every webhook's secrets and headers with the first ENCRYPTION_KEYS key."

# The encrypted fields; saving them writes each under the first key.
ENCRYPTED_FIELDS = ("secret", "previous_secrets", "headers")


def add_arguments(parser: ArgumentParser) -> None:
    pass


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    ids = list(Webhook.objects.order_by("id").values_list("id", flat=True))
    for pk in ids:
        with transaction.atomic():
            # Locked between read and write, so a rotation or edit meanwhile is not undone.
            locked = Webhook.objects.select_for_update().only(*ENCRYPTED_FIELDS).filter(pk=pk)
            for webhook in locked:  # none if it was deleted meanwhile
                webhook.save(update_fields=ENCRYPTED_FIELDS)
    command.stdout.write(f"Re-encrypted {len(ids)} webhook(s) with the first key.")
    return 0
