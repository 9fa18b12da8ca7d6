"""The API's permission class, over the app's one rule."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ..permissions import can_manage_webhooks


class CanManageWebhooks(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return can_manage_webhooks(request.user)
