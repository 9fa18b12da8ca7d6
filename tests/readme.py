"""The README's Python blocks, for the tests that run them (tests/test_readme.py and
tests/test_install.py)."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from tests.services import ROOT

README = ROOT / "README.md"
# The marker, on the last non-blank line before a block: <!-- not run: why it cannot run -->
NOT_RUN = re.compile(r"<!--\s*not run:(?P<reason>.*?)-->\s*$")
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```python[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)


@dataclass(frozen=True)
class Snippet:
    line: int  # where the block starts in README.md
    code: str
    not_run: str | None  # the marker's reason; None for a block that must run

    def __str__(self) -> str:
        return f"README.md:{self.line}"


def python_snippets() -> list[Snippet]:
    text = README.read_text()
    snippets = []
    for block in FENCE.finditer(text):
        before = text[: block.start()].rstrip().rsplit("\n", 1)[-1]
        marker = NOT_RUN.search(before)
        snippets.append(
            Snippet(
                line=text.count("\n", 0, block.start()) + 1,
                code=textwrap.dedent(block.group("body")),
                not_run=marker.group("reason").strip() if marker else None,
            )
        )
    return snippets
