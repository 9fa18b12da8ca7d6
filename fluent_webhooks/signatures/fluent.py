"""The specification's scheme: ``X-Fluent-Signature``; pure functions a receiver can use too.

``X-Fluent-Signature: sha256=<hex HMAC-SHA256 of the body, keyed by the whole secret string>``,
exactly what the spec's Node.js ``verifyWebhookSignature`` computes. It signs the body alone;
``X-Fluent-Timestamp`` beside it is informational (the Standard Webhooks scheme signs time).
The header holds one signature, so during a secret rotation's grace period it is signed with
the new secret only: receivers that need the overlap verify ``webhook-signature``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import SignedMessage

SIGNATURE_HEADER = "X-Fluent-Signature"
TIMESTAMP_HEADER = "X-Fluent-Timestamp"
SIGNATURE_PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The ``X-Fluent-Signature`` value for ``body``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(body: bytes, signature: str | None, secret: str) -> bool:
    """Whether ``signature`` is the signature of ``body`` under ``secret``, in constant time."""
    if not signature:
        return False
    return hmac.compare_digest(signature.encode("utf-8"), sign(body, secret).encode("utf-8"))


class FluentScheme:
    header_names = frozenset({SIGNATURE_HEADER.lower(), TIMESTAMP_HEADER.lower()})

    def headers(self, message: SignedMessage, secrets: Sequence[str]) -> dict[str, str]:
        return {
            SIGNATURE_HEADER: sign(message.body, secrets[0]),  # the newest: see the docstring
            TIMESTAMP_HEADER: str(message.timestamp),
        }


SCHEME = FluentScheme()
