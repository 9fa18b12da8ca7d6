"""What of a request's headers a person may see: one owner for redacting and masking.

Custom header values are credentials as often as not (``X-Pass``, ``X-Shopify-Hmac-Sha256``),
whatever their names, so no page, API answer or log shows them once saved: the delivery log
and previews replace them (and signatures) with ``[redacted]``; the webhook object and the
admin form show a mask that says which value it is without revealing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .signatures import fluent, standard

REDACTED = "[redacted]"
SIGNATURE_HEADERS = frozenset({fluent.SIGNATURE_HEADER.lower(), standard.SIGNATURE_HEADER.lower()})
# Header names whose values may carry credentials even when they are not a webhook's own.
_SENSITIVE_HEADER = re.compile(r"auth|token|key|secret|password|cookie|session", re.IGNORECASE)
# A value this long shows its first characters in a mask; a shorter one shows none of them.
_MASK_REVEALS_FROM = 16
_MASK_VISIBLE = 4
MASK_SUFFIX = "..."


def redact(
    headers: Mapping[str, str], secret_names: Iterable[str] = (), *, signatures: bool = True
) -> dict[str, str]:
    """The headers with the values of credential-like names, of ``secret_names`` (a webhook's
    custom headers) and, unless ``signatures`` is false, of every signature replaced."""
    hidden = {name.lower() for name in secret_names}
    if signatures:
        hidden |= SIGNATURE_HEADERS
    return {
        name: REDACTED if name.lower() in hidden or _SENSITIVE_HEADER.search(name) else value
        for name, value in headers.items()
    }


def mask_header_value(value: str) -> str:
    """Enough of a saved header value to tell which it is, never enough to use it."""
    shown = value[:_MASK_VISIBLE] if len(value) >= _MASK_REVEALS_FROM else ""
    return shown + MASK_SUFFIX


def looks_masked(value: str) -> bool:
    """Whether ``value`` has the form of a mask (at most four characters, then ``...``)."""
    return value.endswith(MASK_SUFFIX) and len(value) <= _MASK_VISIBLE + len(MASK_SUFFIX)


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: mask_header_value(value) for name, value in headers.items()}
