"""Kept for the documented import path: the scheme lives in ``fluent_webhooks.signatures``."""

from __future__ import annotations

from .signatures.standard import (
    DEFAULT_TOLERANCE,
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    headers,
    sign,
    signing_key,
    verify,
)

__all__ = [
    "DEFAULT_TOLERANCE",
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "headers",
    "sign",
    "signing_key",
    "verify",
]
