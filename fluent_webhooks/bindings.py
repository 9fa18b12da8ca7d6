"""Kept for the documented import path: bindings live in ``fluent_webhooks.events``."""

from __future__ import annotations

from .events.bindings import Binding, BindingRegistry, bind, bindings

__all__ = ["Binding", "BindingRegistry", "bind", "bindings"]
