"""Django admin for webhooks, open only to users who may manage webhooks."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Webhook
from .permissions import can_manage_webhooks


class WebhookPermissionMixin:
    """The API's rule, applied to every admin permission hook."""

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


@admin.register(Webhook)
class WebhookAdmin(WebhookPermissionMixin, admin.ModelAdmin):
    list_display = ("name", "url", "status", "last_triggered_at", "last_error")
    list_filter = ("status",)
    search_fields = ("name", "url")
    exclude = ("secret",)
    readonly_fields = ("last_triggered_at", "last_error", "created_at", "updated_at")
