"""A webhook's rules, written once: the model's ``clean()``, the API and the admin use them.

``clean_webhook`` takes field values as a client sent them (JSON types) or as a form cleaned
them, and returns them normalised, or raises ``WebhookInvalid`` with a message per field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .choices import WebhookFormat, WebhookStatus
from .events.catalog import ALL_EVENTS, registry
from .exceptions import FluentWebhooksError, InvalidHeaders, InvalidWebhookURL
from .http.destinations import validate_webhook_url
from .messages.template import TemplateInvalid, validate_template
from .redaction import looks_masked, mask_header_value
from .secret_keys import validate_secret
from .signatures import RESERVED_HEADERS

EDITABLE_FIELDS = (
    "name",
    "url",
    "events",
    "status",
    "headers",
    "retry_count",
    "format",
    "template",
)
REQUIRED_FIELDS = ("name", "url", "events")
MAX_NAME_LENGTH = 255
DEFAULT_RETRY_COUNT = 3
MAX_RETRY_COUNT = 10
MAX_CUSTOM_HEADERS = 20
MAX_HEADER_NAME_LENGTH = 256
MAX_HEADER_VALUE_LENGTH = 4096

# Headers the sender sets itself (besides those of the signature schemes); a custom header
# must not override them.
_TRANSPORT_HEADERS = frozenset(
    {"host", "content-type", "content-length", "transfer-encoding", "connection", "user-agent"}
)
_OUR_PREFIX = "x-fluent-"
# RFC 9110 token characters.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_FORBIDDEN_VALUE_CHARACTERS = ("\r", "\n", "\x00")


class WebhookInvalid(FluentWebhooksError, ValueError):
    """One message per invalid field; ``url_invalid`` when a URL given broke the URL rules
    (the API answers that as ``invalid_url``)."""

    def __init__(self, errors: dict[str, str], *, url_invalid: bool = False) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors
        self.url_invalid = url_invalid


def clean_webhook(
    values: Mapping[str, Any],
    *,
    partial: bool = False,
    creating: bool = False,
    format_auto: bool = True,
    current_format: str | None = None,
    current_template: Any = None,
) -> dict[str, Any]:
    """Check every field given (all required ones too, unless ``partial``); ``secret`` is
    accepted only when ``creating``. Every field's problem is reported, not just the first.

    A ``format`` given is kept (``format_auto`` False); without one, a new webhook's format is
    chosen from its URL, and chosen again when the URL of a webhook whose format was chosen
    (``format_auto``) changes. The ``template`` format needs a template (``current_format``
    and ``current_template`` are those of a webhook being updated).
    """
    fields = (*EDITABLE_FIELDS, "secret") if creating else EDITABLE_FIELDS
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    url_invalid = False
    if not partial:
        for field in REQUIRED_FIELDS:
            if values.get(field) is None:
                errors[field] = "This field is required."
    for field in fields:
        if field not in values or field in errors:
            continue
        try:
            cleaned[field] = _CLEANERS[field](values[field])
        except (ValueError, TypeError) as error:
            errors[field] = str(error)
            url_invalid = url_invalid or isinstance(error, InvalidWebhookURL)
    if errors:
        raise WebhookInvalid(errors, url_invalid=url_invalid)
    if "format" in cleaned:
        cleaned["format_auto"] = False
    elif "url" in cleaned and (creating or format_auto):
        cleaned["format"], cleaned["format_auto"] = format_for_url(cleaned["url"]), True
    template = cleaned.get("template", current_template)
    if cleaned.get("format", current_format) == WebhookFormat.TEMPLATE and template is None:
        raise WebhookInvalid({"template": "The template format needs a template."})
    return cleaned


# Incoming-webhook URLs of the chat services whose messages the app can write.
_SLACK_HOSTS = frozenset({"hooks.slack.com"})
_DISCORD_HOSTS = frozenset(
    f"{prefix}{domain}"
    for prefix in ("", "ptb.", "canary.")
    for domain in ("discord.com", "discordapp.com")
)


def format_for_url(url: str) -> str:
    """The format a receiver at ``url`` accepts: Slack's and Discord's incoming webhooks take
    their own message shapes; anything else gets the documented payload."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if host in _SLACK_HOSTS and parts.path.startswith("/services/"):
        return WebhookFormat.SLACK.value
    if host in _DISCORD_HOSTS and parts.path.startswith("/api/webhooks/"):
        return WebhookFormat.DISCORD.value
    return WebhookFormat.FLUENT.value


def clean_name(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # as DRF's CharField took numbers
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Name must be a non-empty string.")
    _check_text(value, "Name")
    if len(value.strip()) > MAX_NAME_LENGTH:
        raise ValueError(f"Name must be at most {MAX_NAME_LENGTH} characters.")
    return value.strip()


def clean_url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("This field is required.")  # invalid_data, as a missing URL is
    _check_text(value, "Webhook URL")
    return validate_webhook_url(value)


def clean_events(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(n, str) for n in value):
        raise ValueError("Events must be a list of event names.")
    if not value:
        raise ValueError("Subscribe to at least one event.")
    unknown = [name for name in value if name != ALL_EVENTS and name not in registry]
    if unknown:
        raise ValueError(f"Unknown events: {', '.join(unknown)}.")
    return list(dict.fromkeys(value))  # drop repeats, keep order


def clean_status(value: Any) -> str:
    if value not in WebhookStatus.values:
        raise ValueError(f"Status must be one of: {', '.join(WebhookStatus.values)}.")
    return str(value)


def clean_format(value: Any) -> str:
    if value not in WebhookFormat.values:
        raise ValueError(f"Format must be one of: {', '.join(WebhookFormat.values)}.")
    return str(value)


def clean_template(value: Any) -> Any:
    """A template for the ``template`` format (``messages/template.py``), or None."""
    if value is None:
        return None
    try:
        return validate_template(value)
    except TemplateInvalid as error:
        where = f" (at {error.where})" if error.where else ""
        raise ValueError(f"{error}{where}") from None


def clean_retry_count(value: Any) -> int:
    # Whole numbers written as "3" or 3.0 are taken, as DRF's IntegerField took them.
    if isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
        value = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_RETRY_COUNT:
        raise ValueError(
            "Retry count must be a whole number, greater than or equal to 0 and less than "
            f"or equal to {MAX_RETRY_COUNT}."
        )
    return value


def clean_secret(value: Any) -> str:
    return validate_secret(value)


def is_reserved_header(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered in _TRANSPORT_HEADERS
        or lowered in RESERVED_HEADERS
        or lowered.startswith(_OUR_PREFIX)
    )


def validate_custom_headers(value: Any) -> dict[str, str]:
    """Return ``value`` as custom headers, or raise ``InvalidHeaders`` saying what is wrong."""
    if not isinstance(value, dict):
        raise InvalidHeaders("Headers must be an object of header names to string values.")
    if len(value) > MAX_CUSTOM_HEADERS:
        raise InvalidHeaders(f"At most {MAX_CUSTOM_HEADERS} custom headers are allowed.")
    seen: set[str] = set()
    for name, header_value in value.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise InvalidHeaders(f"{name!r} is not a valid header name.")
        if len(name) > MAX_HEADER_NAME_LENGTH:
            raise InvalidHeaders(f"Header name {name[:40]!r}... is too long.")
        if is_reserved_header(name):
            raise InvalidHeaders(f"Header {name!r} is set by the webhook sender and cannot be set.")
        if name.lower() in seen:
            raise InvalidHeaders(f"Header {name!r} is given more than once.")
        seen.add(name.lower())
        if not isinstance(header_value, str):
            raise InvalidHeaders(f"The value of header {name!r} must be a string.")
        if any(char in header_value for char in _FORBIDDEN_VALUE_CHARACTERS):
            raise InvalidHeaders(
                f"The value of header {name!r} must not contain CR, LF or NUL characters."
            )
        if not _is_latin1(header_value):
            # HTTP sends header values as Latin-1; anything else could not be sent at all.
            raise InvalidHeaders(
                f"The value of header {name!r} must be Latin-1 text (no characters such as €)."
            )
        if header_value[:1].isspace():
            raise InvalidHeaders(f"The value of header {name!r} must not start with a space.")
        if len(header_value) > MAX_HEADER_VALUE_LENGTH:
            raise InvalidHeaders(f"The value of header {name!r} is too long.")
    return dict(value)


@dataclass(frozen=True)
class HeadersAfterUpdate:
    """The custom headers an update leaves (None: unchanged), and the names it dropped
    because the URL moved to another host without their values being set again."""

    headers: dict[str, str] | None
    cleared: tuple[str, ...] = ()


@dataclass(frozen=True)
class CleanedUpdate:
    """An update's cleaned values, with what ``headers_after_update`` made of its headers."""

    values: dict[str, Any]
    cleared_headers: tuple[str, ...] = ()


def headers_after_update(
    *,
    url: str,
    headers: Mapping[str, str] | None,
    current_url: str,
    current_headers: Mapping[str, str],
) -> HeadersAfterUpdate:
    """Resolve an update's custom headers against the stored ones.

    A header sent back as the mask the API and admin show (its name in any case) stands for
    the stored value, as long as the URL stays on the same host (and port). When the URL moves
    to another host, every header not set again in the same update is cleared: a moved URL
    must not carry the old receiver's credentials to the new one. A value in the form of a
    mask that is not the stored value's is refused (``WebhookInvalid``): it is a stale or
    mistyped mask, and saving it would replace the credential with three dots.
    ``headers`` None: not in the update.
    """
    same_receiver = _receiver(url) == _receiver(current_url)
    if headers is None:
        if same_receiver or not current_headers:
            return HeadersAfterUpdate(None)
        return HeadersAfterUpdate({}, tuple(current_headers))
    stored_by_name = {name.lower(): value for name, value in current_headers.items()}
    kept: dict[str, str] = {}
    cleared: list[str] = []
    for name, value in headers.items():
        stored = stored_by_name.get(name.lower())
        if stored is not None and value == mask_header_value(stored):
            if same_receiver:
                kept[name] = stored
            else:
                cleared.append(name)
        elif looks_masked(value):
            raise WebhookInvalid(
                {
                    "headers": f"The value of header {name!r} is a mask that matches no saved "
                    "value: send the whole value, or the mask exactly as shown to keep it."
                }
            )
        else:
            kept[name] = value
    if not same_receiver:
        given = {name.lower() for name in headers}
        cleared += [name for name in current_headers if name.lower() not in given]
    return HeadersAfterUpdate(kept, tuple(cleared))


def resolve_headers(
    cleaned: dict[str, Any], current_url: str, current_headers: Mapping[str, str]
) -> CleanedUpdate:
    """``cleaned`` (from ``clean_webhook``, an update) with its headers resolved by
    ``headers_after_update`` against the webhook's stored URL and headers."""
    after = headers_after_update(
        url=cleaned.get("url", current_url),
        headers=cleaned.get("headers"),
        current_url=current_url,
        current_headers=current_headers,
    )
    values = dict(cleaned)
    if after.headers is not None:
        values["headers"] = after.headers
    return CleanedUpdate(values, after.cleared)


def _receiver(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    return (parts.hostname or "", parts.port or _DEFAULT_PORTS.get(parts.scheme.lower()))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _check_text(value: str, what: str) -> None:
    """Refuse what no database column or HTTP request can carry: NUL and lone surrogates."""
    if "\x00" in value:
        raise ValueError(f"{what} must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} must be valid Unicode text.") from None


def _is_latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


_CLEANERS = {
    "name": clean_name,
    "url": clean_url,
    "events": clean_events,
    "status": clean_status,
    "headers": validate_custom_headers,
    "retry_count": clean_retry_count,
    "format": clean_format,
    "template": clean_template,
    "secret": clean_secret,
}

__all__ = [
    "CleanedUpdate",
    "HeadersAfterUpdate",
    "InvalidHeaders",
    "InvalidWebhookURL",
    "WebhookInvalid",
    "clean_webhook",
    "headers_after_update",
    "resolve_headers",
    "validate_custom_headers",
]
