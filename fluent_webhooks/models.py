"""The ``Webhook`` model: a configured endpoint that receives event notifications."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .destinations import validate_webhook_url
from .events import ALL_EVENTS, registry
from .exceptions import InvalidHeaders, InvalidWebhookURL
from .headers import validate_custom_headers
from .querysets import WebhookQuerySet
from .secret_keys import generate_secret

MAX_RETRY_COUNT = 10


class Webhook(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")

    name = models.CharField(_("name"), max_length=255)
    url = models.URLField(_("URL"), max_length=2048)
    events = models.JSONField(_("events"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    secret = models.CharField(_("secret"), max_length=255, default=generate_secret)
    headers = models.JSONField(_("custom headers"), default=dict, blank=True)
    retry_count = models.PositiveSmallIntegerField(
        _("retry count"), default=3, validators=[MaxValueValidator(MAX_RETRY_COUNT)]
    )
    last_triggered_at = models.DateTimeField(_("last triggered at"), null=True, blank=True)
    # null, not "", is "no error": the API shows `"last_error": null` as documented.
    last_error = models.TextField(_("last error"), null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        permissions = [("manage_webhooks", "Can manage webhooks and their deliveries")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        try:
            self.url = validate_webhook_url(self.url)
        except InvalidWebhookURL as error:
            errors["url"] = str(error)
        try:
            self.headers = validate_custom_headers(self.headers)
        except InvalidHeaders as error:
            errors["headers"] = str(error)
        unknown = [
            name for name in self.events or [] if name != ALL_EVENTS and name not in registry
        ]
        if not self.events:
            errors["events"] = "Subscribe to at least one event."
        elif unknown:
            errors["events"] = f"Unknown events: {', '.join(map(str, unknown))}."
        if errors:
            raise ValidationError(errors)
