"""The delivery pipeline's steps: build the request, send it, record the outcome."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from . import transport
from .conf import conf
from .events import TEST_EVENT
from .headers import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from .models import Webhook
from .outcomes import failure_message
from .payloads import build_payload, encode_payload
from .signing import sign
from .transport import HttpResult
from .xprofile import build_xprofile

TEST_SUCCESS_MESSAGE = "Webhook test successful."


def request_headers(webhook: Webhook, event: str, body: bytes, delivery_id: str) -> dict[str, str]:
    """The webhook's custom headers, then ours (validation keeps the two apart)."""
    return {
        **webhook.headers,
        "Content-Type": "application/json",
        "User-Agent": conf.user_agent,
        SIGNATURE_HEADER: sign(body, webhook.secret),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(int(time.time())),
    }


def send(webhook: Webhook, event: str, body: bytes, delivery_id: str) -> HttpResult:
    """One signed POST of ``body`` to the webhook's URL."""
    return transport.post(webhook.url, body, request_headers(webhook, event, body, delivery_id))


def record_result(webhook: Webhook, result: HttpResult) -> str | None:
    """Store the outcome on the webhook: success sets ``last_triggered_at`` and clears
    ``last_error``; failure sets ``last_error``. Returns the failure message, if any."""
    error = failure_message(result)
    changes: dict[str, Any] = {"last_error": error}
    if error is None:
        changes["last_triggered_at"] = timezone.now()
    # update() rather than save(): never overwrite an admin's concurrent edit with stale fields.
    Webhook.objects.filter(pk=webhook.pk).update(**changes)
    for field, value in changes.items():
        setattr(webhook, field, value)
    return error


@dataclass(frozen=True)
class TestOutcome:
    success: bool
    status_code: int | None
    response_time: int
    message: str


def send_test(webhook: Webhook, user: Any = None) -> TestOutcome:
    """Send a signed test payload now, through the same steps as every delivery."""
    payload = build_payload(
        TEST_EVENT,
        {"webhook_id": webhook.pk, "message": "This is a test webhook from fluent-webhooks."},
        build_xprofile(user),
        timezone.now(),
    )
    result = send(webhook, TEST_EVENT, encode_payload(payload), str(uuid.uuid4()))
    error = record_result(webhook, result)
    return TestOutcome(
        success=error is None,
        status_code=result.status_code,
        response_time=result.duration_ms,
        message=error or TEST_SUCCESS_MESSAGE,
    )
