"""The two datetime notations of the API family."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone


def api_datetime(value: datetime | None) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` in UTC, as API objects and payload data write datetimes."""
    if value is None:
        return None
    return _as_utc(value).strftime("%Y-%m-%d %H:%M:%S")


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, as the payload's top-level ``timestamp``."""
    return _as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_utc(value: datetime) -> datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(UTC)
