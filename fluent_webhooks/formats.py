"""The two datetime notations of the API family."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime


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


def parse_api_datetime(value: object) -> datetime | None:
    """A datetime a client sent: ``YYYY-MM-DD HH:MM:SS`` (UTC, as the API writes them) or ISO
    8601 with an offset or ``Z``; None if it is neither."""
    if not isinstance(value, str) or len(value) > _LONGEST_DATETIME:
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:  # well-formed but impossible, e.g. 2024-02-30
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+05:00: before year 1 in UTC
        return None


# "2024-01-15T10:30:00.123456+05:30" and a little room; anything longer is not a datetime.
_LONGEST_DATETIME = 40
