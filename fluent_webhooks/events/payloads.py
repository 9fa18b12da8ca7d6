"""The payload every delivery carries: ``{event, timestamp, data, xprofile}``, as bytes."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise

from ..exceptions import FluentWebhooksError
from ..formats import api_datetime, iso_utc
from . import jsjson


class InvalidEventData(FluentWebhooksError, ValueError):
    """Event data that JSON cannot carry exactly; the message names where it is."""


class UnserializableEventData(InvalidEventData, TypeError):
    """Event data holding an object that is not JSON data (still a ``TypeError``, as before)."""


def build_payload(
    event: str, data: Mapping[str, Any], xprofile: Mapping[str, Any] | None, timestamp: datetime
) -> dict[str, Any]:
    """The documented payload structure, converted to plain JSON data."""
    return {
        "event": event,
        "timestamp": iso_utc(timestamp),
        "data": to_json_data(data, "data"),
        "xprofile": to_json_data(xprofile, "xprofile"),
    }


def serialize_payload(payload: Mapping[str, Any]) -> str:
    """The body as text, stored once and sent as UTF-8 to every webhook."""
    text = jsjson.stringify(payload)
    # to_json_data refuses lone surrogates; this keeps a payload built some other way storable.
    return text.encode("utf-8", errors="replace").decode("utf-8")


def to_json_data(value: Any, path: str = "data") -> Any:
    """Convert model field values to JSON data the way the API family writes them.

    Refuses, naming ``path``, what JSON would change: NaN and infinities (written as null),
    lone surrogates (not UTF-8), and keys that collide once written as strings.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidEventData(f"{path}: {_js_number(value)} is not JSON")
        return value
    if isinstance(value, str):
        _check_text(value, path, "")
        return value
    if isinstance(value, Mapping):
        converted: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            key_path = path + _step(name)
            _check_text(name, key_path, " in this key")
            if name in converted:
                raise InvalidEventData(
                    f"{key_path}: two keys of this object are both {json.dumps(name)} in JSON"
                )
            converted[name] = to_json_data(item, key_path)
        return converted
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json_data(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, datetime):
        return api_datetime(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | Promise):
        return to_json_data(str(value), path)
    raise UnserializableEventData(
        f"{path}: Cannot put a {type(value).__name__} into a webhook payload; "
        "convert it to JSON data (str, int, float, bool, None, dict, list) first."
    )


def _js_number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _step(key: str) -> str:
    """``.key`` where a reader would write it so, else ``["key"]`` as JSON writes it."""
    return f".{key}" if key.isascii() and key.isidentifier() else f"[{json.dumps(key)}]"


def _check_text(text: str, path: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        surrogate = ord(text[error.start])
        raise InvalidEventData(
            f"{path}: a lone surrogate (U+{surrogate:04X}){where} is not JSON text"
        ) from None
