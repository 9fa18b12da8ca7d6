"""The app's records: webhooks, the event outbox, deliveries and their attempts."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import rules
from .choices import DeliveryStatus, WebhookFormat, WebhookStatus
from .encryption import EncryptedJSONField, EncryptedTextField
from .querysets import DeliveryQuerySet, EventQuerySet, WebhookQuerySet
from .secret_keys import generate_secret


class Webhook(models.Model):
    Status = WebhookStatus
    Format = WebhookFormat

    name = models.CharField(_("name"), max_length=255)
    url = models.URLField(_("URL"), max_length=2048)
    events = models.JSONField(_("events"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    # Encrypted at rest (encryption.py); read and written as plain values.
    secret = EncryptedTextField(_("secret"), default=generate_secret)
    headers = EncryptedJSONField(_("custom headers"), default=dict, blank=True)
    # Secrets replaced by a rotation that still sign during their grace period, newest first:
    # [{"secret": ..., "expires_at": ISO 8601}]. Owned by rotation.py.
    previous_secrets = EncryptedJSONField(
        _("previous secrets"), default=list, blank=True, editable=False
    )
    retry_count = models.PositiveSmallIntegerField(
        _("retry count"), default=rules.DEFAULT_RETRY_COUNT
    )
    format = models.CharField(
        _("format"), max_length=16, choices=WebhookFormat.choices, default=WebhookFormat.FLUENT
    )
    # Whether ``format`` follows the URL (chosen from it, and again when it changes) or was set.
    format_auto = models.BooleanField(_("format chosen from the URL"), default=True)
    # For the template format: a JSON document whose strings may hold {{ placeholders }}.
    template = models.JSONField(_("template"), null=True, blank=True)
    last_triggered_at = models.DateTimeField(_("last triggered at"), null=True, blank=True)
    # null, not "", is "no error": the API shows `"last_error": null` as documented.
    last_error = models.TextField(_("last error"), null=True, blank=True)  # noqa: DJ001
    # Health, written by the worker as attempts are recorded: failed attempts since the last
    # success and when that run of failures began; when the failure warning went out; and,
    # when the app (not a person) set the webhook inactive, when and why.
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    warned_at = models.DateTimeField(_("failure warning sent at"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.TextField(_("disabled reason"), null=True, blank=True)  # noqa: DJ001
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and write down in its subscription history what the save changed."""
        from .subscriptions import WATCHED_FIELDS, record_changes

        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not WATCHED_FIELDS.intersection(update_fields):
            super().save(*args, **kwargs)
            return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            super().save(*args, **kwargs)
            record_changes([self.pk], using=using)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def clean(self) -> None:
        """The webhook rules of ``rules.py``, as the API applies them; values are normalised."""
        values = {
            field: getattr(self, field)
            for field in rules.EDITABLE_FIELDS
            if not (field == "format" and self.format_auto)  # then it follows the URL
        }
        try:
            cleaned = rules.clean_webhook(values, format_auto=self.format_auto)
        except rules.WebhookInvalid as error:
            raise ValidationError(error.errors) from None
        for field, value in cleaned.items():
            setattr(self, field, value)


class SubscriptionPeriod(models.Model):
    """A span of time during which a webhook was active and subscribed to ``events``.

    Written only by ``subscriptions.record_changes``; the fan-out gives an event to the
    webhooks with a period that covers the event's ``created_at``. ``valid_until`` is None
    while the period lasts; a webhook has at most one such period.
    """

    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="subscription_periods"
    )
    events = models.JSONField(_("events"), default=list)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["webhook", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook"],
                name="fluent_period_one_open",
                condition=models.Q(valid_until__isnull=True),
            ),
        ]
        indexes = [
            # The fan-out reads the periods still open or closed after its oldest event.
            models.Index(fields=["valid_until"], name="fluent_period_until_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} from {self.valid_from}"


class Event(models.Model):
    """An event in the outbox, written in the transaction of the change that caused it.

    ``body`` is the exact JSON every subscribed webhook receives, built once at emit time.
    """

    name = models.CharField(_("event"), max_length=100)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When a broker message last covered its fan-out; presumed at once, and cleared by
    # ``dispatch`` (the only module that writes it) when the hand-off fails.
    enqueued_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # When its deliveries were created; None while the fan-out is still owed.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The fan-out takes owed events in id order; only they are in this index.
            models.Index(
                fields=["id"],
                name="fluent_event_unfanned_idx",
                condition=models.Q(fanned_out_at__isnull=True),
            ),
            models.Index(fields=["created_at"], name="fluent_event_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class Delivery(models.Model):
    """One event owed to one webhook; its id is the ``X-Fluent-Delivery`` header."""

    Status = DeliveryStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # When a broker message was last sent for it (for the due time it has now); presumed with
    # its fan-out; None: owed to the sweeper. Written only by ``dispatch``.
    enqueued_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # While sending, the time after which a worker that claimed it is presumed dead, and the
    # token of that claim (it tells a worker which rows of a batch it won).
    locked_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    # When the current claim was taken (``locked_until`` moves on as the claim is renewed).
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # Set by a replay: the next attempt was asked for by a person, so it is recorded as manual
    # and not retried (as a redelivery of a finished delivery); recording clears it.
    manual_next_attempt = models.BooleanField(_("next attempt is manual"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "webhook"], name="fluent_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="fluent_delivery_due_idx"),
            models.Index(fields=["webhook", "-created_at"], name="fluent_delivery_webhook_idx"),
            # A webhook's owed deliveries: parked work waiting for its running batch.
            models.Index(
                fields=["webhook", "next_attempt_at"],
                name="fluent_delivery_owed_idx",
                condition=models.Q(status=DeliveryStatus.PENDING),
            ),
            models.Index(
                fields=["webhook", "locked_until"],
                name="fluent_delivery_sending_idx",
                condition=models.Q(status=DeliveryStatus.SENDING),
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)


class Attempt(models.Model):
    """One HTTP request of a delivery and what came of it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField(_("attempt"))
    manual = models.BooleanField(_("manual"), default=False)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    response_excerpt = models.TextField(_("response excerpt"), blank=True, default="")
    request_headers = models.JSONField(_("request headers"), default=dict)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["started_at"], name="fluent_attempt_started_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="fluent_attempt_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
