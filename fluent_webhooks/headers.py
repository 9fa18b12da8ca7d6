"""The headers a delivery carries, and the rules for a webhook's custom headers."""

from __future__ import annotations

import re
from typing import Any

from .exceptions import InvalidHeaders

SIGNATURE_HEADER = "X-Fluent-Signature"
EVENT_HEADER = "X-Fluent-Event"
DELIVERY_HEADER = "X-Fluent-Delivery"
TIMESTAMP_HEADER = "X-Fluent-Timestamp"

MAX_CUSTOM_HEADERS = 20
MAX_HEADER_NAME_LENGTH = 256
MAX_HEADER_VALUE_LENGTH = 4096

# Headers the sender sets itself; a custom header must not override them.
_TRANSPORT_HEADERS = frozenset(
    {"host", "content-type", "content-length", "transfer-encoding", "connection", "user-agent"}
    | {"webhook-id", "webhook-timestamp", "webhook-signature"}  # Standard Webhooks
)
_OUR_PREFIX = "x-fluent-"
# RFC 9110 token characters.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_FORBIDDEN_VALUE_CHARACTERS = ("\r", "\n", "\x00")


def is_reserved(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRANSPORT_HEADERS or lowered.startswith(_OUR_PREFIX)


def validate_custom_headers(value: Any) -> dict[str, str]:
    """Return ``value`` as custom headers, or raise ``InvalidHeaders`` saying what is wrong."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidHeaders("Headers must be an object of header names to string values.")
    if len(value) > MAX_CUSTOM_HEADERS:
        raise InvalidHeaders(f"At most {MAX_CUSTOM_HEADERS} custom headers are allowed.")
    seen: set[str] = set()
    for name, header_value in value.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise InvalidHeaders(f"{name!r} is not a valid header name.")
        if len(name) > MAX_HEADER_NAME_LENGTH:
            raise InvalidHeaders(f"Header name {name[:40]!r}... is too long.")
        if is_reserved(name):
            raise InvalidHeaders(f"Header {name!r} is set by the webhook sender and cannot be set.")
        if name.lower() in seen:
            raise InvalidHeaders(f"Header {name!r} is given more than once.")
        seen.add(name.lower())
        if not isinstance(header_value, str):
            raise InvalidHeaders(f"The value of header {name!r} must be a string.")
        if any(char in header_value for char in _FORBIDDEN_VALUE_CHARACTERS):
            raise InvalidHeaders(
                f"The value of header {name!r} must not contain CR, LF or NUL characters."
            )
        if len(header_value) > MAX_HEADER_VALUE_LENGTH:
            raise InvalidHeaders(f"The value of header {name!r} is too long.")
    return dict(value)
