"""Outbound webhooks for Django community sites.

The public API, importable from here (lazily: importing the package touches no app registry)::

    from fluent_webhooks import bind, send_event, verify

- ``bind(signal, event, *, data, sender=None, when=None, user=None)``: map a Django signal to
  an event (declared in a host app's ``webhooks.py``);
- ``send_event(name, data, user=None)``: emit an event directly;
- ``registry``: the event catalog; ``registry.register()`` adds a site's own events;
- ``verify(body, signature, secret)``: check ``X-Fluent-Signature``, for receivers;
- ``verify_standard(body, headers, secret)``: check the Standard Webhooks headers;
- ``webhook_disabled``: the signal sent when the app switches a failing webhook off;
- ``fluent_webhooks.api.urls``: the documented REST endpoints, to include under a prefix.

The app is configured with the ``FLUENT_WEBHOOKS`` setting; see ``fluent_webhooks.conf``.
``docs/design.md`` walks one event through the modules.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> (module, attribute), imported on first use.
_PUBLIC = {
    "bind": ("fluent_webhooks.events.bindings", "bind"),
    "send_event": ("fluent_webhooks.events.emit", "send_event"),
    "registry": ("fluent_webhooks.events.catalog", "registry"),
    "verify": ("fluent_webhooks.signatures.fluent", "verify"),
    "verify_standard": ("fluent_webhooks.signatures.standard", "verify"),
    "webhook_disabled": ("fluent_webhooks.signals", "webhook_disabled"),
}

__all__ = [
    "__version__",
    "bind",
    "registry",
    "send_event",
    "verify",
    "verify_standard",
    "webhook_disabled",
]

if TYPE_CHECKING:
    from .events.bindings import bind
    from .events.catalog import registry
    from .events.emit import send_event
    from .signals import webhook_disabled
    from .signatures.fluent import verify
    from .signatures.standard import verify as verify_standard


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'fluent_webhooks' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value
