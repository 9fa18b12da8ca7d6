"""The Standard Webhooks scheme (https://www.standardwebhooks.com), sent beside ours.

``X-Fluent-Signature`` signs the body alone, as the spec defines it, so a captured delivery
could be replayed. ``webhook-signature`` also signs the delivery id and the timestamp, so a
receiver can refuse old or repeated deliveries, and the Standard Webhooks libraries (Svix and
others) verify it as they are. The key is the base64 part of a ``whsec_`` secret, decoded; a
secret of another form is used as its UTF-8 bytes. During a secret rotation's grace period
``webhook-signature`` carries one ``v1,<signature>`` per valid secret, newest first, space
separated, as the specification allows: a receiver holding any of them verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..secret_keys import SECRET_PREFIX

if TYPE_CHECKING:
    from . import SignedMessage

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
DEFAULT_TOLERANCE = 300


def signing_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def sign(delivery_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(
    delivery_id: str, timestamp: int, body: bytes, secret: str | Sequence[str]
) -> dict[str, str]:
    """The three headers; ``secret`` may be several (newest first), one signature each."""
    secrets = [secret] if isinstance(secret, str) else secret
    return {
        ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: " ".join(sign(delivery_id, timestamp, body, s) for s in secrets),
    }


class StandardScheme:
    header_names = frozenset({ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER})

    def headers(self, message: SignedMessage, secrets: Sequence[str]) -> dict[str, str]:
        return headers(message.delivery_id, message.timestamp, message.body, secrets)


SCHEME = StandardScheme()


def verify(
    body: bytes,
    request_headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether the Standard Webhooks headers sign ``body``, within ``tolerance`` seconds.

    False, never an exception, for anything malformed: missing or non-text headers, a timestamp
    that is not plain ASCII digits, a body that is not bytes, a secret that is not text.
    """
    if not isinstance(body, bytes | bytearray | memoryview) or not isinstance(secret, str):
        return False
    lowered = _lowered(request_headers)
    if lowered is None:
        return False
    delivery_id = lowered.get(ID_HEADER, "")
    timestamp = _timestamp(lowered.get(TIMESTAMP_HEADER, ""))
    signatures = lowered.get(SIGNATURE_HEADER, "")
    if not delivery_id or timestamp is None or not signatures:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    try:
        expected = sign(delivery_id, timestamp, bytes(body), secret).encode("ascii")
    except UnicodeEncodeError:  # a lone surrogate in the id or the secret
        return False
    return any(
        hmac.compare_digest(candidate.encode("ascii"), expected)
        for candidate in signatures.split()
        if candidate.isascii()
    )


# Seconds since 1970 have 10 digits until the year 2286; leading zeros are allowed.
_TIMESTAMP = re.compile(r"[0-9]{1,20}")


def _timestamp(value: str) -> int | None:
    """The header as a number, if it is ASCII digits only (``str.isdigit`` also takes '²')."""
    return int(value) if _TIMESTAMP.fullmatch(value) else None


def _lowered(request_headers: Any) -> dict[str, str] | None:
    """The text headers by lower-case name, or None if ``request_headers`` has no items."""
    try:
        items = list(request_headers.items())
    except Exception:  # not a mapping: whatever a receiver passed, it is not headers
        return None
    lowered: dict[str, str] = {}
    for item in items:
        if isinstance(item, tuple) and len(item) == 2:
            name, value = item
            if isinstance(name, str) and isinstance(value, str):
                lowered[name.lower()] = value
    return lowered
