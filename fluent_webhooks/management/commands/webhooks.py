"""``manage.py webhooks SUBCOMMAND``: operate webhooks from a shell (``fluent_webhooks.cli``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fluent_webhooks.cli import subcommands
from fluent_webhooks.cli._common import Failure, report
from fluent_webhooks.encryption import EncryptionError


class Command(BaseCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The subcommands found, so that a new one is named here without anyone listing it.
        self.help = f"Operate webhooks: {', '.join(subcommands())}."

    def add_arguments(self, parser: CommandParser) -> None:
        children = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        for name, subcommand in subcommands().items():
            # Django's CommandParser keeps "missing argument" an error, not a SystemExit.
            child = children.add_parser(name, help=subcommand.HELP, description=subcommand.HELP)
            subcommand.add_arguments(child)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            status = subcommands()[options["subcommand"]].run(self, options)
        except Failure as failure:  # the API's refusal, in the API's words: status 1
            status = report(self, failure)
        except EncryptionError as error:
            # Any subcommand that reads a webhook decrypts it: a key to fix, not a traceback.
            raise CommandError(str(error)) from error
        if status:
            raise SystemExit(status)
