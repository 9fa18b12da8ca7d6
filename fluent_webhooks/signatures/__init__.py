"""The signature schemes every delivery carries, behind one small interface.

Each scheme turns a :class:`SignedMessage` into the headers that prove it came from us; a
delivery carries the headers of every scheme in :data:`SCHEMES`. Receivers verify with the
scheme's own ``verify`` function (:func:`fluent.verify`, :func:`standard.verify`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SignedMessage:
    """What a signature covers: the exact body sent, and the delivery it belongs to."""

    delivery_id: str
    timestamp: int
    body: bytes


class SignatureScheme(Protocol):
    #: The headers this scheme sets, lower-case; a webhook's custom headers may not use them.
    header_names: frozenset[str]

    def headers(self, message: SignedMessage, secrets: Sequence[str]) -> dict[str, str]:
        """The headers for ``secrets``: the current secret first, then those of a rotation
        still in their grace period (a scheme signs with as many as its headers can hold)."""
        ...


def signature_headers(message: SignedMessage, secrets: Sequence[str]) -> dict[str, str]:
    """The headers of every scheme for ``message``; ``secrets`` newest first, never empty."""
    headers: dict[str, str] = {}
    for scheme in SCHEMES:
        headers.update(scheme.headers(message, secrets))
    return headers


from . import fluent, standard  # noqa: E402 - the schemes use SignedMessage defined above

SCHEMES: tuple[SignatureScheme, ...] = (fluent.SCHEME, standard.SCHEME)
RESERVED_HEADERS: frozenset[str] = frozenset().union(*(s.header_names for s in SCHEMES))
