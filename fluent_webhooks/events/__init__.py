"""Emitting events: the catalog, the signal bindings, and ``send_event``.

``fluent_webhooks.events.registry`` is the catalog's documented path, kept here.
"""

from __future__ import annotations

from .catalog import ALL_EVENTS, TEST_EVENT, EventRegistry, EventType, registry, subscribes_to

__all__ = ["ALL_EVENTS", "TEST_EVENT", "EventRegistry", "EventType", "registry", "subscribes_to"]
