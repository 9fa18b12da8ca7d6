"""Kept for the documented import path: the scheme lives in ``fluent_webhooks.signatures``."""

from __future__ import annotations

from .signatures.fluent import SIGNATURE_HEADER, sign, verify

__all__ = ["SIGNATURE_HEADER", "sign", "verify"]
