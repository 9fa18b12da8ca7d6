"""Django admin for webhooks and their delivery log, open only to users who may manage webhooks."""

from .deliveries import DeliveryAdmin
from .webhooks import WebhookAdmin

__all__ = ["DeliveryAdmin", "WebhookAdmin"]
