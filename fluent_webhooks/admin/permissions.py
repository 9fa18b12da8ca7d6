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


def over_outbound_budget(model_admin: Any, request: HttpRequest, what: str) -> bool:
    """Whether this user has used up the budget for requests the server makes for them (test
    sends, redeliveries: the API's ``TEST_SEND_RATE``, shared); if so, says so on the page."""
    from django.contrib import messages

    from ..api.throttling import TestSendThrottle

    throttle = TestSendThrottle()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return False
    wait = throttle.wait() or 1.0
    model_admin.message_user(
        request, f"Too many {what}: try again in {wait:.0f} s (TEST_SEND_RATE).", messages.ERROR
    )
    return True
