"""Webhook secrets: generated server-side, shown whole once, masked afterwards."""

from __future__ import annotations

import base64
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 255
_VISIBLE_CHARACTERS = 4


def generate_secret() -> str:
    """A new secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def mask_secret(secret: str) -> str:
    """Enough of ``secret`` to recognise it, never enough to use it."""
    if not secret:
        return ""
    prefix = SECRET_PREFIX if secret.startswith(SECRET_PREFIX) else ""
    return f"{prefix}{secret[len(prefix) : len(prefix) + _VISIBLE_CHARACTERS]}..."


def validate_secret(secret: object) -> str:
    """Return a secret a client chose, or raise ``ValueError`` saying why it is unfit."""
    if not isinstance(secret, str):
        raise ValueError("Secret must be a string.")
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise ValueError(
            f"Secret must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters long."
        )
    if not secret.isprintable() or any(char.isspace() for char in secret):
        raise ValueError("Secret must not contain spaces or control characters.")
    return secret
