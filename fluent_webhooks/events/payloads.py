"""The payload every delivery carries: ``{event, timestamp, data, xprofile}``, as bytes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise

from ..formats import api_datetime, iso_utc
from . import jsjson


def build_payload(
    event: str, data: Mapping[str, Any], xprofile: Mapping[str, Any] | None, timestamp: datetime
) -> dict[str, Any]:
    """The documented payload structure, converted to plain JSON data."""
    return {
        "event": event,
        "timestamp": iso_utc(timestamp),
        "data": to_json_data(data),
        "xprofile": to_json_data(xprofile),
    }


def serialize_payload(payload: Mapping[str, Any]) -> str:
    """The body as text, stored once and sent as UTF-8 to every webhook."""
    text = jsjson.stringify(payload)
    # A lone surrogate cannot be UTF-8 (nor stored); JSON.stringify would escape it, we replace it.
    return text.encode("utf-8", errors="replace").decode("utf-8")


def to_json_data(value: Any) -> Any:
    """Convert model field values to JSON data the way the API family writes them."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(key): to_json_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json_data(item) for item in value]
    if isinstance(value, datetime):
        return api_datetime(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | Promise):
        return str(value)
    raise TypeError(
        f"Cannot put a {type(value).__name__} into a webhook payload; "
        "convert it to JSON data (str, int, float, bool, None, dict, list) first."
    )
