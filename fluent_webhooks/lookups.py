"""Ids as clients write them (in a URL, on a command line), read strictly: the API and the CLI
find the same records from the same text, and refuse the same text."""

from __future__ import annotations

import re
import uuid

_MAX_ID = 2**63 - 1
_MAX_ID_DIGITS = len(str(_MAX_ID))
# The delivery id as the X-Fluent-Delivery header carries it; uuid.UUID would also take braces,
# "urn:uuid:" and no hyphens.
_DELIVERY_ID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def webhook_pk(text: str) -> int | None:
    """The id as a primary key, or None if no webhook can have it.

    ``str.isdigit`` also accepts '²' and Arabic-Indic digits, which ``int()`` refuses or
    reads, and ``int()`` refuses thousands of digits: only ASCII digits of a 64-bit key pass."""
    if not (0 < len(text) <= _MAX_ID_DIGITS and text.isascii()):
        return None
    if not text.isdigit():
        return None
    pk = int(text)
    return pk if pk <= _MAX_ID else None


def delivery_pk(text: str) -> uuid.UUID | None:
    """The delivery id (a UUID in its usual 36-character form), or None."""
    return uuid.UUID(text) if _DELIVERY_ID.match(text) else None
