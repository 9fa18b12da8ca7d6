"""Cleaning and clipping text for chat services."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

ELLIPSIS = "…"

# C0 controls other than tab and newline, and DEL: they render as nothing or as boxes, and
# Discord documents that it may strip "invalid" characters, which would shift our clipping.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(value: Any) -> str | None:
    """A string or number from a payload as displayable text, or None if it holds none."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if isinstance(value, float) and value != value:  # NaN is not something to show
        return None
    text = str(value)
    # A lone surrogate cannot be encoded as UTF-8; pairs written as two escapes are joined.
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = _CONTROLS.sub("", text).strip()
    return text or None


def length(text: str) -> int:
    """The length in UTF-16 code units.

    Never less than the number of code points, so a text that fits by this count fits
    whichever of the two a service counts (JavaScript-based clients count code units).
    """
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` code units, ending with an ellipsis if it was cut."""
    if length(text) <= limit:
        return text
    if limit < 1:
        return ""
    budget = limit - length(ELLIPSIS)
    kept: list[str] = []
    used = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > budget:
            break
        kept.append(char)
        used += width
    return "".join(kept).rstrip() + ELLIPSIS


def web_link(value: Any) -> str | None:
    """``value`` if it is an http(s) URL, with any character a URL may not hold %-encoded.

    Encoding "|", "<", ">" and spaces keeps the link whole inside Slack's ``<url|label>`` and
    well formed for Discord's embed ``url``; "%" stays, so an encoded link is not re-encoded.
    """
    url = clean(value)
    if not url or any(char.isspace() for char in url):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=_URL_SAFE)


# RFC 3986 reserved characters, and "%" for what is already encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) made a single space."""
    return " ".join(text.split())
