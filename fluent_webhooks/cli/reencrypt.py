"""``webhooks reencrypt``: every stored secret and custom header under the newest key."""

from __future__ import annotations

from argparse import ArgumentParser
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from fluent_webhooks.conf import conf
from fluent_webhooks.encryption import key_number
from fluent_webhooks.models import Webhook

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "Re-encrypt every webhook's secrets and headers with the first ENCRYPTION_KEYS key."

# The encrypted fields; saving them writes each under the first key.
ENCRYPTED_FIELDS = ("secret", "previous_secrets", "headers")


def add_arguments(parser: ArgumentParser) -> None:
    pass


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    found = keys_in_use()
    if found:
        command.stdout.write(
            "Stored values by key: "
            + ", ".join(f"key {number}: {count}" for number, count in sorted(found.items()))
            + "."
        )
    if set(found) == {1} and len(conf.encryption_keys) > 1:
        # Nothing was under another key: a rotation with the new key put last lands here.
        command.stdout.write(
            command.style.WARNING(
                "Every value was already under the first key. To move to a new key, put the "
                "new key FIRST in ENCRYPTION_KEYS (the old one after it), then run this again."
            )
        )
    ids = list(Webhook.objects.order_by("id").values_list("id", flat=True))
    for pk in ids:
        with transaction.atomic():
            # Locked between read and write, so a rotation or edit meanwhile is not undone.
            locked = Webhook.objects.select_for_update().only(*ENCRYPTED_FIELDS).filter(pk=pk)
            for webhook in locked:  # none if it was deleted meanwhile
                webhook.save(update_fields=ENCRYPTED_FIELDS)
    command.stdout.write(f"Re-encrypted {len(ids)} webhook(s) with the first key.")
    return 0


def keys_in_use() -> dict[int, int]:
    """How many stored encrypted values each key (1 for the first) made, read from the raw
    columns, as a dump would show them."""
    table = Webhook._meta.db_table
    columns = ", ".join(connection.ops.quote_name(field) for field in ENCRYPTED_FIELDS)
    counts: Counter[int] = Counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {connection.ops.quote_name(table)}")  # noqa: S608
        for row in cursor.fetchall():
            for token in row:
                number = key_number(token) if isinstance(token, str) else None
                if number is not None:
                    counts[number] += 1
    return dict(counts)
