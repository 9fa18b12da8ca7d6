"""The request and response bodies of the webhook endpoints, as the OpenAPI document shows them.

Documentation only: ``rules.clean_webhook`` validates what clients send and
``serializers.webhook_object`` writes what they read; ``tests/test_openapi.py`` holds these
shapes to both.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import WebhookFormat, WebhookStatus
from ..events.catalog import ALL_EVENTS, TEST_EVENT, registry
from ..rotation import DEFAULT_GRACE_PERIOD, MAX_GRACE_PERIOD, MAX_PREVIOUS_SECRETS
from ..rules import MAX_NAME_LENGTH, MAX_RETRY_COUNT
from ..secret_keys import MAX_SECRET_LENGTH, MIN_SECRET_LENGTH

DATETIME = "`YYYY-MM-DD HH:MM:SS` UTC"
_EVENTS = (
    "Event names of the catalog (e.g. `feed.created`), or `*` for every event. Unknown names "
    "are refused."
)
_HEADERS = "Custom HTTP headers sent with each delivery: header name to Latin-1 value."
_SHOWN_HEADERS = f"{_HEADERS} Values whole only in the answer to the create request; masked after."
_URL = "HTTPS (unless the site allows http), to a public address."
_TEMPLATE = "The message template of the `template` format (JSON with placeholders), or null."


class EventNameField(serializers.CharField):
    """An event name of the catalog (as the site registered them when the document is
    generated) or one of ``also`` (by default ``*``, as a webhook subscribes);
    ``EventNameScheme`` documents the list."""

    def __init__(self, *, also: tuple[str, ...] = (ALL_EVENTS,), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.also = also


def subscribable_events() -> list[str]:
    """What a webhook's ``events`` may hold (``EventsEnum`` in the document)."""
    return [*registry.names(), ALL_EVENTS]


def catalog_events() -> list[str]:
    """The catalog alone, as a replay's ``events`` takes it (``CatalogEventEnum``)."""
    return registry.names()


class EventNameScheme(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = EventNameField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {"type": "string", "enum": [*registry.names(), *self.target.also]}


# What rules.py takes besides the plain type, as DRF's fields took it (Schemathesis found the
# document stricter than the code): a number as a name, a whole number written as a string
# or as 3.0 as a retry count.
@extend_schema_field(
    {
        "anyOf": [
            {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
            {"type": "number"},
        ]
    }
)
class NameField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": MAX_RETRY_COUNT},
            {"type": "number", "minimum": 0, "maximum": MAX_RETRY_COUNT},
            {"type": "string", "pattern": r"^\s*[0-9]+\s*$"},
        ]
    }
)
class RetryCountField(serializers.IntegerField):
    pass


class WebhookSerializer(serializers.Serializer[Any]):
    """A configured endpoint that receives event notifications."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField(), help_text=_EVENTS)
    status = serializers.ChoiceField(choices=WebhookStatus.choices)
    secret = serializers.CharField(
        help_text="Whole only in the answer to the create request; masked everywhere else."
    )
    headers = serializers.DictField(child=serializers.CharField(), help_text=_SHOWN_HEADERS)
    retry_count = serializers.IntegerField()
    format = serializers.ChoiceField(choices=WebhookFormat.choices)
    template = serializers.JSONField(allow_null=True, help_text=_TEMPLATE)
    last_triggered_at = serializers.CharField(allow_null=True, help_text=DATETIME)
    last_error = serializers.CharField(allow_null=True)
    # Its health, read-only: what the worker counts and decides.
    success_rate_24h = serializers.FloatField(
        allow_null=True,
        min_value=0,
        max_value=1,
        help_text="The share of its attempts in the last 24 h that succeeded; null without any.",
    )
    consecutive_failures = serializers.IntegerField(
        min_value=0, help_text="Delivery attempts failed in a row since the last success."
    )
    failing_since = serializers.CharField(
        allow_null=True, help_text=f"When the current run of failures began ({DATETIME})."
    )
    disabled_reason = serializers.CharField(
        allow_null=True, help_text="Why it was disabled automatically; null if it was not."
    )
    created_at = serializers.CharField(help_text=DATETIME)
    updated_at = serializers.CharField(help_text=DATETIME)


class WebhookSavedSerializer(WebhookSerializer):
    message = serializers.CharField()


class WebhookListSerializer(serializers.Serializer[Any]):
    webhooks = WebhookSerializer(many=True)


class WebhookChangesSerializer(serializers.Serializer[Any]):
    """The fields a client may set; read-only and unknown fields are ignored."""

    name = NameField(allow_blank=True, required=False)
    url = serializers.URLField(required=False, help_text=_URL)
    events = serializers.ListField(
        child=EventNameField(), min_length=1, required=False, help_text=_EVENTS
    )
    status = serializers.ChoiceField(choices=WebhookStatus.choices, required=False)
    # An empty value is a header too (Schemathesis: the document said at least one character).
    headers = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, help_text=_HEADERS
    )
    retry_count = RetryCountField(required=False)
    format = serializers.ChoiceField(
        choices=WebhookFormat.choices,
        required=False,
        help_text="Without one, chosen from the URL (Slack, Discord, or `fluent`).",
    )
    template = serializers.JSONField(allow_null=True, required=False, help_text=_TEMPLATE)


class WebhookNewSerializer(WebhookChangesSerializer):
    name = NameField(allow_blank=True)
    url = serializers.URLField(help_text=_URL)
    events = serializers.ListField(child=EventNameField(), min_length=1, help_text=_EVENTS)
    secret = serializers.CharField(
        min_length=MIN_SECRET_LENGTH,
        max_length=MAX_SECRET_LENGTH,
        required=False,
        help_text="The signing secret; without one, a new one is made.",
    )


class TestSendSerializer(serializers.Serializer[Any]):
    success = serializers.BooleanField()
    status_code = serializers.IntegerField(
        allow_null=True, help_text="The receiver's HTTP status; null if none answered."
    )
    response_time = serializers.IntegerField(help_text="Milliseconds.")
    message = serializers.CharField()


class PreviewEventSerializer(serializers.Serializer[Any]):
    event = EventNameField(
        also=(TEST_EVENT,), help_text="An event of the catalog, or `webhook.test`."
    )
    data = serializers.DictField(  # type: ignore[assignment]  # describes; never serializes
        required=False,
        allow_null=True,
        help_text="The event's data; without it, the event's sample data.",
    )


class PreviewSerializer(serializers.Serializer[Any]):
    url = serializers.CharField()
    format = serializers.ChoiceField(choices=WebhookFormat.choices)
    event = serializers.CharField()
    body = serializers.CharField(help_text="The exact body that would be sent.")
    headers = serializers.DictField(child=serializers.CharField())
    message = serializers.CharField()


class CatalogEventSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    group = serializers.CharField()
    description = serializers.CharField()
    sample_payload = serializers.DictField(
        help_text="The payload a receiver would get: `event`, `timestamp` (ISO 8601 UTC, with "
        "`Z`), the event's sample `data` and the caller's `xprofile`."
    )


class EventCatalogSerializer(serializers.Serializer[Any]):
    events = CatalogEventSerializer(many=True)


class SecretRotationSerializer(serializers.Serializer[Any]):
    grace_period = serializers.IntegerField(
        min_value=0,
        max_value=MAX_GRACE_PERIOD,
        allow_null=True,
        required=False,
        help_text="Seconds the old secret keeps signing `webhook-signature`; null or left out: "
        f"{DEFAULT_GRACE_PERIOD} (24 h); 0 ends every old secret at once.",
    )


class PreviousSecretSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(help_text="Masked.")
    expires_at = serializers.CharField(help_text=DATETIME)


class WebhookRotatedSerializer(WebhookSavedSerializer):
    secret = serializers.CharField(help_text="The new secret, whole this once.")
    previous_secrets = PreviousSecretSerializer(
        many=True,
        help_text="The replaced secrets still valid, newest first "
        f"(at most {MAX_PREVIOUS_SECRETS}).",
    )
