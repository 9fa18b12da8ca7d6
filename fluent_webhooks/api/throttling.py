"""A limit on test sends: each one makes an outbound request from the server."""

from __future__ import annotations

from rest_framework.throttling import UserRateThrottle

from ..conf import conf


class TestSendThrottle(UserRateThrottle):
    """``TEST_SEND_RATE`` test sends per user (e.g. ``"30/min"``); ``None`` lifts the limit."""

    scope = "fluent_webhooks_test_send"

    def get_rate(self) -> str | None:
        return conf.test_send_rate
