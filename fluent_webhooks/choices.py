"""The status values of webhooks and deliveries, shared by the models and their querysets."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class WebhookFormat(models.TextChoices):
    """What a webhook's receiver gets: the documented payload, or a chat service's message."""

    FLUENT = "fluent", _("Fluent payload (the documented JSON)")
    SLACK = "slack", _("Slack message")
    DISCORD = "discord", _("Discord message")
    TEMPLATE = "template", _("Your template (JSON with placeholders)")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINAL_DELIVERY_STATUSES = (
    DeliveryStatus.SUCCEEDED,
    DeliveryStatus.FAILED,
    DeliveryStatus.CANCELLED,
)
