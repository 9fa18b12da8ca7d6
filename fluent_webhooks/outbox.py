"""Kept for the documented import path: ``send_event`` lives in ``fluent_webhooks.events``."""

from __future__ import annotations

from .events.emit import send_event

__all__ = ["send_event"]
