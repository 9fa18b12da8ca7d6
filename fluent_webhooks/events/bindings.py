"""Mapping Django signals to webhook events.

A host app declares its bindings in a ``webhooks.py`` module, which the app imports in
``ready()``, as the admin does with ``admin.py``::

    from django.db.models.signals import post_save
    from fluent_webhooks import bind

    bind(
        post_save,
        "feed.created",
        sender=Feed,
        when=lambda instance, created, **kwargs: created,
        data=lambda instance, **kwargs: {"id": instance.pk, "title": instance.title},
        user=lambda instance, **kwargs: instance.user,
    )
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.dispatch import Signal

from ..exceptions import ConfigurationError
from .catalog import registry
from .emit import send_event

DataBuilder = Callable[..., Mapping[str, Any]]
Condition = Callable[..., bool]
UserGetter = Callable[..., Any]


@dataclass(eq=False)  # hashable by identity: Django caches receivers' signatures
class Binding:
    """One signal producing one event: when it fires, if ``when`` agrees, ``send_event``."""

    signal: Signal
    event: str
    data: DataBuilder
    sender: Any = None
    when: Condition | None = None
    user: UserGetter | None = None
    dispatch_uid: str = field(default="")

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal", None)
        if self.when is not None and not self.when(sender=sender, **kwargs):
            return
        user = self.user(sender=sender, **kwargs) if self.user is not None else None
        send_event(self.event, self.data(sender=sender, **kwargs), user=user)


class BindingRegistry:
    """Every binding a host declared; ``reset()`` disconnects them all (tests)."""

    def __init__(self) -> None:
        self._bindings: dict[str, Binding] = {}

    def bind(
        self,
        signal: Signal,
        event: str,
        *,
        data: DataBuilder,
        sender: Any = None,
        when: Condition | None = None,
        user: UserGetter | None = None,
        dispatch_uid: str | None = None,
    ) -> Binding:
        if event not in registry:
            raise ConfigurationError(
                f"Cannot bind unknown event {event!r}; register it in the event registry first."
            )
        for name, value in (("data", data), ("when", when), ("user", user)):
            if not callable(value) and (value is not None or name == "data"):
                raise ConfigurationError(
                    f"Cannot bind {event!r}: {name} must be a callable taking the signal's "
                    f"keyword arguments, not {value!r}."
                )
        uid = dispatch_uid or f"fluent_webhooks:{event}:{id(signal)}:{_label(sender)}"
        if uid in self._bindings:
            self.unbind(uid)
        binding = Binding(signal, event, data, sender, when, user, uid)
        signal.connect(binding, sender=sender, weak=False, dispatch_uid=uid)
        self._bindings[uid] = binding
        return binding

    def unbind(self, dispatch_uid: str) -> None:
        binding = self._bindings.pop(dispatch_uid)
        binding.signal.disconnect(sender=binding.sender, dispatch_uid=dispatch_uid)

    def reset(self) -> None:
        for uid in list(self._bindings):
            self.unbind(uid)

    def __iter__(self) -> Any:
        return iter(list(self._bindings.values()))


def _label(sender: Any) -> str:
    if sender is None:
        return "*"
    meta = getattr(sender, "_meta", None)
    return meta.label if meta is not None else repr(sender)


bindings = BindingRegistry()
bind = bindings.bind
