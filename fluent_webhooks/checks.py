"""System checks of the ``FLUENT_WEBHOOKS`` setting: one stable id per problem.

E001 not a dict; E002 unknown key; E003 ALLOWED_NETWORKS; E004 a timeout not a positive number;
E005 RETRY_SCHEDULE; E006 CA_BUNDLE; E007 a dotted path that does not import; E008
RETENTION_DAYS; E009 REQUIRE_HTTPS; E010 ATTEMPT_DEADLINE shorter than CONNECT_TIMEOUT; E011
STUCK_AFTER too short; E012 RETRY_JITTER; E013 RESPONSE_BODY_LIMIT; E014 a count below 1;
E015 TEST_SEND_RATE; E016 SITE_URL; E017 CONNECT_TO; E018 no ENCRYPTION_KEYS with DEBUG off
(W001 with DEBUG on); E019 an ENCRYPTION_KEYS entry that is not a Fernet key; E020
DISABLE_AFTER or WARN_AFTER not a positive duration; E021 WARN_AFTER not shorter than
DISABLE_AFTER; E022 DISABLE_AFTER_FAILURES.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from numbers import Real
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from .conf import DEFAULTS
from .encryption import fernet_key_problem
from .http.addresses import parse_networks

MIN_STUCK_AFTER = 3
# A century, in seconds: longer durations overflow the date arithmetic they go into.
_LONGEST = 100 * 365 * 86400
_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    configured = getattr(settings, "FLUENT_WEBHOOKS", {})
    if not isinstance(configured, dict):
        return [Error("FLUENT_WEBHOOKS must be a dict.", id="fluent_webhooks.E001")]
    errors: list[CheckMessage] = [
        Error(
            f"FLUENT_WEBHOOKS has an unknown key {key!r}.",
            hint=f"Known keys: {', '.join(sorted(DEFAULTS))}.",
            id="fluent_webhooks.E002",
        )
        for key in configured
        if key not in DEFAULTS
    ]
    values = {**DEFAULTS, **configured}
    for check in _CHECKS:
        errors.extend(check(values))
    return errors


def _check_networks(values: dict[str, Any]) -> list[CheckMessage]:
    networks = values["ALLOWED_NETWORKS"]
    if isinstance(networks, str) or not isinstance(networks, list | tuple):
        return [_error("ALLOWED_NETWORKS must be a list of CIDR strings.", "E003")]
    try:
        parse_networks(tuple(str(network) for network in networks))
    except ValueError as error:
        return [_error(f"ALLOWED_NETWORKS: {error}", "E003")]
    return []


def _check_positive_numbers(values: dict[str, Any]) -> list[CheckMessage]:
    keys = ("CONNECT_TIMEOUT", "READ_TIMEOUT", "ATTEMPT_DEADLINE", "RETRY_AFTER_MAX", "STUCK_AFTER")
    errors: list[CheckMessage] = [
        _error(f"{key} must be a positive number of seconds.", "E004")
        for key in keys
        if not _is_number(values[key]) or values[key] <= 0
    ]
    if errors:
        return errors
    if values["ATTEMPT_DEADLINE"] < values["CONNECT_TIMEOUT"]:
        errors.append(_error("ATTEMPT_DEADLINE must not be shorter than CONNECT_TIMEOUT.", "E010"))
    if values["STUCK_AFTER"] < MIN_STUCK_AFTER:
        # A claim is renewed every third of STUCK_AFTER; shorter, a live worker's claim could
        # lapse between two renewals and its deliveries be sent a second time.
        errors.append(_error(f"STUCK_AFTER must be at least {MIN_STUCK_AFTER} seconds.", "E011"))
    return errors


def _check_retry_schedule(values: dict[str, Any]) -> list[CheckMessage]:
    schedule = values["RETRY_SCHEDULE"]
    if schedule is not None and (
        not isinstance(schedule, list | tuple)
        or not schedule
        or not all(_is_number(seconds) and seconds >= 0 for seconds in schedule)
    ):
        return [
            _error("RETRY_SCHEDULE must be a non-empty list of seconds (>= 0), or None.", "E005")
        ]
    jitter = values["RETRY_JITTER"]
    if not _is_number(jitter) or not 0 <= jitter <= 1:
        return [_error("RETRY_JITTER must be a number from 0 to 1.", "E012")]
    return []


def _check_auto_disable(values: dict[str, Any]) -> list[CheckMessage]:
    errors: list[CheckMessage] = [
        _error(
            f"{key} must be a positive number of seconds or timedelta (up to 100 years), or None.",
            "E020",
        )
        for key in ("DISABLE_AFTER", "WARN_AFTER")
        if not _is_duration(values[key])
    ]
    disable_after, warn_after = values["DISABLE_AFTER"], values["WARN_AFTER"]
    if (
        not errors
        and None not in (disable_after, warn_after)
        and _seconds(warn_after) >= _seconds(disable_after)
    ):
        # Otherwise the warning could never come before the webhook is switched off.
        errors.append(_error("WARN_AFTER must be shorter than DISABLE_AFTER.", "E021"))
    failures = values["DISABLE_AFTER_FAILURES"]
    if not isinstance(failures, int) or isinstance(failures, bool) or failures < 1:
        errors.append(_error("DISABLE_AFTER_FAILURES must be a whole number, at least 1.", "E022"))
    return errors


def _is_duration(value: Any) -> bool:
    """None (off), a positive timedelta, or a positive number of seconds."""
    return value is None or (
        (isinstance(value, timedelta) or _is_number(value)) and 0 < _seconds(value) <= _LONGEST
    )


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _check_ca_bundle(values: dict[str, Any]) -> list[CheckMessage]:
    bundle = values["CA_BUNDLE"]
    if bundle and not (isinstance(bundle, str) and os.path.isfile(bundle)):
        return [_error(f"CA_BUNDLE {bundle!r} is not a readable file.", "E006")]
    return []


def _check_importables(values: dict[str, Any]) -> list[CheckMessage]:
    paths = [values["XPROFILE_BUILDER"], *values["API_AUTHENTICATION_CLASSES"]]
    if values["OBJECT_LINK"]:
        paths.append(values["OBJECT_LINK"])
    errors: list[CheckMessage] = []
    for path in paths:
        try:
            import_string(path)
        except ImportError as error:
            errors.append(_error(f"Cannot import {path!r}: {error}", "E007"))
    return errors


def _check_counts(values: dict[str, Any]) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if not isinstance(values["RETENTION_DAYS"], int) or values["RETENTION_DAYS"] < 1:
        errors.append(_error("RETENTION_DAYS must be a whole number of days, at least 1.", "E008"))
    if not isinstance(values["RESPONSE_BODY_LIMIT"], int) or values["RESPONSE_BODY_LIMIT"] < 0:
        errors.append(_error("RESPONSE_BODY_LIMIT must be a whole number of bytes.", "E013"))
    for key in ("DELIVERY_BATCH", "SEND_CONCURRENCY", "MAX_BATCHES_PER_WEBHOOK", "REPLAY_MAX"):
        if not isinstance(values[key], int) or isinstance(values[key], bool) or values[key] < 1:
            errors.append(_error(f"{key} must be a whole number, at least 1.", "E014"))
    rate = values["TEST_SEND_RATE"]
    if rate is not None and not (isinstance(rate, str) and _RATE.match(rate)):
        errors.append(
            _error("TEST_SEND_RATE must be like '30/min' (s, min, hour, day) or None.", "E015")
        )
    if not isinstance(values["REQUIRE_HTTPS"], bool):
        errors.append(_error("REQUIRE_HTTPS must be True or False.", "E009"))
    return errors


def _check_site(values: dict[str, Any]) -> list[CheckMessage]:
    url = values["SITE_URL"]
    parts = urlsplit(url) if isinstance(url, str) else None
    if url is not None and not (parts and parts.scheme in ("http", "https") and parts.hostname):
        return [_error("SITE_URL must be an absolute http(s) URL, or None.", "E016")]
    return []


def _check_connect_to(values: dict[str, Any]) -> list[CheckMessage]:
    mapping = values["CONNECT_TO"]
    pair = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$")
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and pair.match(k) and pair.match(v)
        for k, v in mapping.items()
    ):
        return [_error('CONNECT_TO must map "host:port" to "host:port".', "E017")]
    return []


def _check_encryption_keys(values: dict[str, Any]) -> list[CheckMessage]:
    keys = values["ENCRYPTION_KEYS"]
    if isinstance(keys, str | bytes) or not isinstance(keys, list | tuple):
        return [_error("ENCRYPTION_KEYS must be a list of Fernet keys.", "E019")]
    if not keys:
        message = (
            "ENCRYPTION_KEYS is empty: webhook secrets and custom headers are stored "
            "encrypted, so webhooks can be neither saved nor read."
        )
        hint = "Set it to [Fernet.generate_key().decode()] (cryptography.fernet); keep it secret."
        if settings.DEBUG:
            return [Warning(message, hint=hint, id="fluent_webhooks.W001")]
        return [Error(message, hint=hint, id="fluent_webhooks.E018")]
    return [
        _error(f"ENCRYPTION_KEYS[{index}] {problem}.", "E019")
        for index, key in enumerate(keys)
        if (problem := fernet_key_problem(key)) is not None
    ]


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _error(message: str, code: str) -> Error:
    return Error(message, id=f"fluent_webhooks.{code}")


_CHECKS: tuple[Callable[[dict[str, Any]], list[CheckMessage]], ...] = (
    _check_networks,
    _check_positive_numbers,
    _check_retry_schedule,
    _check_auto_disable,
    _check_ca_bundle,
    _check_importables,
    _check_counts,
    _check_site,
    _check_connect_to,
    _check_encryption_keys,
)
