"""Outbound webhooks for Django community sites.

The public API, each in the module that owns it:

- ``fluent_webhooks.bindings.bind(signal, event, *, data, sender=None, when=None, user=None)``:
  map a Django signal to an event (declared in a host app's ``webhooks.py``);
- ``fluent_webhooks.outbox.send_event(name, data, user=None)``: emit an event directly;
- ``fluent_webhooks.events.registry``: the event catalog; ``register()`` adds a site's own;
- ``fluent_webhooks.signing.verify(body, signature, secret)``: for receivers;
- ``fluent_webhooks.api.urls``: the documented REST endpoints, to include under a prefix.

The app is configured with the ``FLUENT_WEBHOOKS`` setting; see ``fluent_webhooks.conf``.
"""

from __future__ import annotations

__version__ = "0.1.0"
