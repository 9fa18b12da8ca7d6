"""Webhook secrets and custom header values, encrypted at rest.

``MultiFernet`` over ``FLUENT_WEBHOOKS["ENCRYPTION_KEYS"]``: the first key encrypts, every key
decrypts, so a new key is put first, ``manage.py webhooks reencrypt`` moves every row onto it,
and then the old key can be removed. The fields decrypt as rows are read, so the rest of the
code sees plain values; a database dump shows only Fernet tokens. A token's value cannot be
compared in SQL (each encryption differs), so nothing filters on these fields.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from .conf import conf


class EncryptionError(ImproperlyConfigured):
    """A stored value cannot be written or read: the keys are to fix, its message says how."""


class EncryptionKeyMissing(EncryptionError):
    """No key is configured, so a value can be neither stored nor read."""


class UndecryptableValue(EncryptionError):
    """A stored value that no configured key decrypts (its key was removed too early)."""


def fernet_key_problem(key: object) -> str | None:
    """Why ``key`` is not a Fernet key (32 url-safe base64 bytes), or None if it is one."""
    if not isinstance(key, str | bytes):
        return "is not a string"
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return "is not 32 url-safe base64-encoded bytes (Fernet.generate_key())"
    return None


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _cipher() -> MultiFernet:
    keys = conf.encryption_keys
    if not keys:
        raise EncryptionKeyMissing(
            'FLUENT_WEBHOOKS["ENCRYPTION_KEYS"] is empty: webhook secrets and custom headers '
            "are stored encrypted. Set it to a list of keys from "
            "cryptography.fernet.Fernet.generate_key()."
        )
    return _multi_fernet(keys)


def encrypt(text: str) -> str:
    """``text`` as a Fernet token under the first key."""
    return _cipher().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The text of a token made under any of the keys."""
    try:
        return _cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise UndecryptableValue(
            'A stored webhook value cannot be decrypted with any key of FLUENT_WEBHOOKS["'
            'ENCRYPTION_KEYS"]: put back the key it was encrypted with (keep old keys until '
            "`manage.py webhooks reencrypt` has run)."
        ) from None


def key_number(token: str) -> int | None:
    """Which key of ``ENCRYPTION_KEYS`` (1 for the first) made ``token``; None: none of them."""
    for number, key in enumerate(conf.encryption_keys, start=1):
        try:
            Fernet(key).decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError, ValueError):
            continue
        return number
    return None


def reencrypt(token: str) -> str:
    """The token under the first key, whichever key made it."""
    try:
        return _cipher().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        return encrypt(decrypt(token))  # decrypt raises the explanation


class _Unfilterable:
    """Only ``isnull`` may be looked up: any other lookup would compare a fresh token with the
    stored one and silently match nothing, so it is an error instead."""

    def get_lookup(self, lookup_name: str) -> Any:
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None  # type: ignore[misc]


class EncryptedTextField(_Unfilterable, models.TextField):  # type: ignore[type-arg]
    """Text stored as a Fernet token, read back as the text."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return None if value is None else encrypt(value)


class EncryptedJSONField(_Unfilterable, models.TextField):  # type: ignore[type-arg]
    """A JSON value stored as one Fernet token, read back as the value."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(decrypt(value))

    def to_python(self, value: Any) -> Any:
        return value  # the value itself (a dict, a list): no text conversion

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj))

    def formfield(self, **kwargs: Any) -> Any:
        return models.Field.formfield(self, **{"form_class": forms.JSONField, **kwargs})
