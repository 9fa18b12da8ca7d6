"""Building a request: the body in the webhook's format, our headers, every scheme's signature."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..conf import conf
from ..messages import render_body
from ..models import Delivery, Webhook
from ..rotation import signing_secrets
from ..signatures import SignedMessage, signature_headers

EVENT_HEADER = "X-Fluent-Event"
DELIVERY_HEADER = "X-Fluent-Delivery"


@dataclass(frozen=True)
class OutgoingRequest:
    """One signed POST, ready for the transport."""

    delivery: Delivery
    url: str
    body: bytes
    headers: dict[str, str]


def build_request(delivery: Delivery, *, timestamp: int | None = None) -> OutgoingRequest:
    """The request for the delivery's next attempt."""
    signed = sign_request(
        delivery.webhook, delivery.event.name, delivery.event.body, str(delivery.pk), timestamp
    )
    return OutgoingRequest(delivery, delivery.webhook.url, signed.body, signed.headers)


@dataclass(frozen=True)
class SignedRequest:
    body: bytes
    headers: dict[str, str]


def sign_request(
    webhook: Webhook,
    event: str,
    stored_body: str,
    delivery_id: str,
    timestamp: int | None = None,
) -> SignedRequest:
    """The body in the webhook's format, the webhook's custom headers, then ours (the rules
    keep the two apart), signed over the exact bytes sent. Deliveries and previews alike."""
    body = render_body(event, stored_body, webhook.format, webhook.template)
    message = SignedMessage(
        delivery_id=delivery_id,
        timestamp=int(time.time()) if timestamp is None else timestamp,
        body=body,
    )
    headers = {
        **webhook.headers,
        "Content-Type": "application/json",
        "User-Agent": conf.user_agent,
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        **signature_headers(message, signing_secrets(webhook)),
    }
    return SignedRequest(body, headers)
