"""``webhooks schema``: the API's OpenAPI document, as the site routes it."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError

from fluent_webhooks.api.schema import openapi_document

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = "Write the API's OpenAPI 3 document (JSON) to standard output or a file."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")
    parser.add_argument(
        "--check",
        action="store_true",
        help="Write nothing; exit 1 if the file given with --output differs from the code.",
    )


def openapi_text() -> str:
    """The document as the committed file holds it: indented JSON, a newline at the end."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    text = openapi_text()
    output = options.get("output")
    if options.get("check"):
        if not output:
            command.stderr.write("--check needs --output FILE.")
            return 2
        path = Path(output)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            command.stderr.write(f"{output} is out of date: run `make schema`.")
            return 1
        command.stdout.write(f"{output} is up to date.")
        return 0
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:  # no such directory, no permission, a full disk
            raise CommandError(f"Cannot write {output}: {error.strerror or error}.") from error
        command.stdout.write(f"Wrote {output}.")
    else:
        command.stdout.write(text, ending="")
    return 0
