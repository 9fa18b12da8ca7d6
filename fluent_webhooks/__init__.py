"""Outbound webhooks for Django community sites.

Public API (import from ``fluent_webhooks``):

- ``__version__``
- ``events.registry``: the event catalog; ``registry.register(...)`` adds a host's own events.

The app is configured with the ``FLUENT_WEBHOOKS`` setting; see ``fluent_webhooks.conf``.
"""

from __future__ import annotations

__version__ = "0.1.0"
