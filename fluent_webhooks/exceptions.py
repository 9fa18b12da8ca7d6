"""Exceptions raised by fluent_webhooks, all rooted in ``FluentWebhooksError``."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class FluentWebhooksError(Exception):
    """Base class of every error this app raises."""


class ConfigurationError(FluentWebhooksError, ImproperlyConfigured):
    """The ``FLUENT_WEBHOOKS`` setting or a host's declaration is wrong."""


class InvalidWebhookURL(FluentWebhooksError, ValueError):
    """A webhook URL that must not be stored or called."""


class InvalidHeaders(FluentWebhooksError, ValueError):
    """Custom headers that must not be stored or sent."""


class UnknownEvent(FluentWebhooksError, ValueError):
    """An event name that is not in the registry."""


class DestinationBlocked(FluentWebhooksError):
    """A delivery's host resolves to an address that webhooks may not reach.

    Raised from inside the HTTP connection, after DNS resolution and before any byte is sent.
    """
