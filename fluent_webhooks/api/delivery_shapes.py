"""The delivery log's bodies, parameters and headers, as the OpenAPI document shows them.

Documentation only, like ``shapes``: ``api/deliveries.py``, ``api/pagination.py`` and
``dispatch/replay.py`` read what clients send, ``serializers.delivery_object`` and
``attempt_object`` write what they read.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import serializers

from ..choices import DeliveryStatus
from ..dispatch.replay import DATETIME_HELP
from ..events.catalog import TEST_EVENT
from .pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from .shapes import DATETIME, EventNameField

DELIVERY_ID = OpenApiParameter(
    "delivery_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The delivery's id (the `X-Fluent-Delivery` header of its requests). An id "
    "this webhook has no delivery of answers 404 `not_found`.",
    examples=[OpenApiExample("A delivery", "0b4d3a5e-7c2f-4f7e-9d1a-6e5b8c3f2a10")],
)

_LISTED = "comma-separated to match any of several"

LIST_PARAMETERS = [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        description="The page, from 1 (the default). A page past the last answers 400 "
        "`rest_post_invalid_page_number`.",
    ),
    OpenApiParameter(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        description=f"Deliveries per page, from 1 to {MAX_PER_PAGE}; {DEFAULT_PER_PAGE} if left "
        "out.",
    ),
    OpenApiParameter(
        "status",
        str,
        description=f"Only deliveries with this status ({', '.join(DeliveryStatus.values)}), "
        f"{_LISTED}.",
    ),
    OpenApiParameter(
        "event",
        str,
        description=f"Only deliveries of this event (of the catalog, or `{TEST_EVENT}`), "
        f"{_LISTED}.",
    ),
    OpenApiParameter(
        "since", str, description=f"Only deliveries made at or after this time: {DATETIME_HELP}."
    ),
    OpenApiParameter(
        "until", str, description=f"Only deliveries made at or before this time: {DATETIME_HELP}."
    ),
    OpenApiParameter(
        "X-WP-Total",
        int,
        OpenApiParameter.HEADER,
        response=[200],
        description="How many deliveries match, on every page.",
    ),
    OpenApiParameter(
        "X-WP-TotalPages",
        int,
        OpenApiParameter.HEADER,
        response=[200],
        description="How many pages of `per_page` they fill (0 when none match).",
    ),
]

LOCATION = OpenApiParameter(
    "Location",
    str,
    OpenApiParameter.HEADER,
    response=[202],
    description="The delivery's URL, where its attempt appears once the worker makes it.",
)


class DeliverySerializer(serializers.Serializer[Any]):
    """One delivery of an event to a webhook, as the log lists it."""

    id = serializers.UUIDField()
    webhook_id = serializers.IntegerField()
    event = serializers.CharField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempt_count = serializers.IntegerField(min_value=0)
    last_status_code = serializers.IntegerField(
        allow_null=True, help_text="The receiver's HTTP status at the last attempt, if any."
    )
    last_error = serializers.CharField(allow_null=True)
    created_at = serializers.CharField(help_text=DATETIME)
    last_attempt_at = serializers.CharField(allow_null=True, help_text=DATETIME)
    next_attempt_at = serializers.CharField(
        allow_null=True, help_text=f"When a pending delivery is due ({DATETIME}); else null."
    )


class DeliveryListSerializer(serializers.Serializer[Any]):
    deliveries = DeliverySerializer(many=True, help_text="Newest first.")


class AttemptSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField(min_value=0)
    manual = serializers.BooleanField(help_text="Made by a redelivery or a replay.")
    started_at = serializers.CharField(help_text=DATETIME)
    duration_ms = serializers.IntegerField(min_value=0)
    succeeded = serializers.BooleanField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    response_excerpt = serializers.CharField(allow_blank=True)
    request_headers = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="As sent, with signatures and secret values redacted.",
    )


class DeliveryDetailSerializer(DeliverySerializer):
    payload = serializers.CharField(help_text="The exact bytes of the documented payload.")
    attempts = AttemptSerializer(many=True, help_text="Oldest first.")


class RedeliverySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="The delivery's id: a redelivery keeps it.")
    message = serializers.CharField()
    delivery = serializers.URLField(help_text="The delivery's URL (also `Location`).")


class ReplaySerializer(serializers.Serializer[Any]):
    """Deliveries of events in the window: the finished ones are sent again."""

    since = serializers.CharField(help_text=f"The window's start: {DATETIME_HELP}.")
    until = serializers.CharField(
        allow_null=True,
        required=False,
        help_text=f"The window's end: {DATETIME_HELP}; now if null or left out.",
    )
    events = serializers.ListField(
        child=EventNameField(also=()),
        allow_null=True,
        allow_empty=False,
        required=False,
        help_text="Only these events of the catalog (at least one); every event if null or "
        "left out.",
    )
    only_failed = serializers.BooleanField(
        required=False, help_text="Only deliveries that did not succeed (default false)."
    )


class ReplayResultSerializer(serializers.Serializer[Any]):
    matched = serializers.IntegerField(min_value=0, help_text="Deliveries in the window.")
    queued = serializers.IntegerField(min_value=0, help_text="Handed to the worker now.")
    already_queued = serializers.IntegerField(
        min_value=0, help_text="Still owed or being sent, so left alone."
    )
    message = serializers.CharField()
    deliveries = serializers.URLField(help_text="The webhook's delivery log.")
