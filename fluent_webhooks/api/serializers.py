"""Validation of webhook requests and the webhook object as API clients read it."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..destinations import validate_webhook_url
from ..events import ALL_EVENTS, registry
from ..exceptions import InvalidHeaders, InvalidWebhookURL
from ..formats import api_datetime
from ..headers import validate_custom_headers
from ..models import MAX_RETRY_COUNT, Webhook
from ..secret_keys import mask_secret, validate_secret

FIELDS = (
    "id",
    "name",
    "url",
    "events",
    "status",
    "secret",
    "headers",
    "retry_count",
    "last_triggered_at",
    "last_error",
    "created_at",
    "updated_at",
)


class URLError(serializers.ValidationError):
    """A URL error, answered with the ``invalid_url`` code rather than ``invalid_data``."""

    default_code = "invalid_url"


class WebhookSerializer(serializers.Serializer[Webhook]):
    """Writable fields of a webhook; everything else in a request body is ignored."""

    name = serializers.CharField(max_length=255, trim_whitespace=True)
    url = serializers.CharField(max_length=2048, trim_whitespace=True)
    events = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    status = serializers.ChoiceField(choices=Webhook.Status.values, required=False)
    secret = serializers.CharField(required=False, trim_whitespace=False)
    headers = serializers.JSONField(required=False)
    retry_count = serializers.IntegerField(min_value=0, max_value=MAX_RETRY_COUNT, required=False)

    def validate_url(self, value: str) -> str:
        try:
            return validate_webhook_url(value)
        except InvalidWebhookURL as error:
            raise URLError(str(error)) from None

    def validate_events(self, value: list[str]) -> list[str]:
        unknown = [name for name in value if name != ALL_EVENTS and name not in registry]
        if unknown:
            raise serializers.ValidationError(f"Unknown events: {', '.join(unknown)}.")
        return list(dict.fromkeys(value))  # drop repeats, keep order

    def validate_secret(self, value: str) -> str:
        if self.instance is not None:
            return self.instance.secret  # read-only after creation
        try:
            return validate_secret(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate_headers(self, value: Any) -> dict[str, str]:
        try:
            return validate_custom_headers(value)
        except InvalidHeaders as error:
            raise serializers.ValidationError(str(error)) from None

    def create(self, validated_data: dict[str, Any]) -> Webhook:
        return Webhook.objects.create(**validated_data)

    def update(self, instance: Webhook, validated_data: dict[str, Any]) -> Webhook:
        validated_data.pop("secret", None)
        for field, value in validated_data.items():
            setattr(instance, field, value)
        instance.save(update_fields=[*validated_data, "updated_at"])
        return instance

    def to_representation(self, instance: Webhook) -> dict[str, Any]:
        return webhook_object(instance, reveal_secret=False)


def webhook_object(webhook: Webhook, *, reveal_secret: bool) -> dict[str, Any]:
    """The documented webhook object; the secret whole only when just created."""
    return {
        "id": webhook.pk,
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "status": webhook.status,
        "secret": webhook.secret if reveal_secret else mask_secret(webhook.secret),
        "headers": dict(webhook.headers),
        "retry_count": webhook.retry_count,
        "last_triggered_at": api_datetime(webhook.last_triggered_at),
        "last_error": webhook.last_error,
        "created_at": api_datetime(webhook.created_at),
        "updated_at": api_datetime(webhook.updated_at),
    }
