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
from ..rules import MAX_NAME_LENGTH, MAX_RETRY_COUNT
from ..secret_keys import MAX_SECRET_LENGTH, MIN_SECRET_LENGTH

_DATETIME = "`YYYY-MM-DD HH:MM:SS` UTC"
_EVENTS = (
    "Event names of the catalog (e.g. `feed.created`), or `*` for every event. Unknown names "
    "are refused."
)
_HEADERS = "Custom HTTP headers sent with each delivery: header name to Latin-1 value."
_URL = "HTTPS (unless the site allows http), to a public address."
_TEMPLATE = "The message template of the `template` format (JSON with placeholders), or null."


class EventNameField(serializers.CharField):
    """An event name a webhook may subscribe to: the catalog's (as the site registered them
    when the document is generated) or ``*``; ``EventNameScheme`` documents the list."""

    def __init__(self, *, test_event: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test_event = test_event


class EventNameScheme(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = EventNameField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        extra = [TEST_EVENT] if self.target.test_event else [ALL_EVENTS]
        return {"type": "string", "enum": [*registry.names(), *extra]}


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
    headers = serializers.DictField(child=serializers.CharField(), help_text=_HEADERS)
    retry_count = serializers.IntegerField()
    format = serializers.ChoiceField(choices=WebhookFormat.choices)
    template = serializers.JSONField(allow_null=True, help_text=_TEMPLATE)
    last_triggered_at = serializers.CharField(allow_null=True, help_text=_DATETIME)
    last_error = serializers.CharField(allow_null=True)
    created_at = serializers.CharField(help_text=_DATETIME)
    updated_at = serializers.CharField(help_text=_DATETIME)


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
    event = EventNameField(test_event=True, help_text="An event of the catalog, or `webhook.test`.")
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
