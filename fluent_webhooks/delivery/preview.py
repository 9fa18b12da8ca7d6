"""A preview: the request a webhook would receive for an event, signed, never sent.

Custom header values are shown redacted (a manager who may edit a webhook may not read its
credentials); the signatures are real, so that a receiver's verifier can be tried on them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ..events.catalog import registry
from ..events.payloads import build_payload, serialize_payload
from ..events.xprofile import build_xprofile
from ..models import Webhook
from ..redaction import redact
from .build import sign_request


@dataclass(frozen=True)
class Preview:
    url: str
    body: bytes
    headers: dict[str, str]


def preview(
    webhook: Webhook, event: str, data: Mapping[str, Any] | None = None, user: Any = None
) -> Preview:
    """What ``webhook`` would receive for ``event`` with ``data`` (default: the catalog's
    sample), caused by ``user``: built and signed as a delivery is, with a fresh delivery id;
    custom header values redacted."""
    payload = build_payload(
        event,
        registry.sample(event) if data is None else data,
        build_xprofile(user),
        timezone.now(),
    )
    signed = sign_request(webhook, event, serialize_payload(payload), str(uuid.uuid4()))
    shown = redact(signed.headers, webhook.headers, signatures=False)
    return Preview(webhook.url, signed.body, shown)
