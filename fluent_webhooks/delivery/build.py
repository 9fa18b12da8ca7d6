"""Building a delivery's request: the stored body, our headers, and every scheme's signature."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..conf import conf
from ..messages import render_body
from ..models import Delivery
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
    """The request for the delivery's next attempt: the body in the webhook's format, the
    webhook's custom headers, then ours (the rules keep the two apart), signed over the exact
    bytes sent."""
    webhook = delivery.webhook
    body = render_body(delivery.event.name, delivery.event.body, webhook.format)
    message = SignedMessage(
        delivery_id=str(delivery.pk),
        timestamp=int(time.time()) if timestamp is None else timestamp,
        body=body,
    )
    headers = {
        **webhook.headers,
        "Content-Type": "application/json",
        "User-Agent": conf.user_agent,
        EVENT_HEADER: delivery.event.name,
        DELIVERY_HEADER: message.delivery_id,
        **signature_headers(message, webhook.secret),
    }
    return OutgoingRequest(delivery, webhook.url, body, headers)
