"""The API's permission rule, applied to every admin permission hook."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ..permissions import can_manage_webhooks


class ManageWebhooksPermission:
    """Superusers and holders of ``manage_webhooks`` see and change everything; no one else
    sees anything, staff or not."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_webhooks(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_webhooks(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return can_manage_webhooks(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_webhooks(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_webhooks(request.user)


class ReadOnlyLog(ManageWebhooksPermission):
    """Records are written by the pipeline only: managers may look, not edit."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def outbound_request_allowed(request: HttpRequest) -> float | None:
    """None when this user may make one more outbound request now (a test send, a
    redelivery), else the seconds to wait: the API's ``TEST_SEND_RATE`` budget, shared."""
    from ..api.throttling import TestSendThrottle

    throttle = TestSendThrottle()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return throttle.wait() or 1.0
