"""Inboxes that receive deliveries, so a user can watch webhooks arrive without any service."""

from __future__ import annotations

import secrets

from django.db import models

from fluent_webhooks.models import Webhook


def new_token() -> str:
    return secrets.token_urlsafe(16)


class Inbox(models.Model):
    """A receiving URL, ``/inspector/<token>/``, checked with its webhook's secret."""

    token = models.CharField(max_length=64, unique=True, default=new_token)
    webhook = models.ForeignKey(
        Webhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="inboxes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.token


class ReceivedDelivery(models.Model):
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="received")
    received_at = models.DateTimeField(auto_now_add=True)
    event = models.CharField(max_length=100, blank=True)
    delivery_id = models.CharField(max_length=64, blank=True)
    signature_valid = models.BooleanField(default=False)  # X-Fluent-Signature
    standard_signature_valid = models.BooleanField(default=False)  # webhook-signature
    headers = models.JSONField(default=dict)
    body = models.TextField()

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} {self.delivery_id}"
