"""Token authentication that accepts ``Authorization: Bearer <key>`` as well as ``Token``."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.request import Request


class BearerTokenAuthentication(TokenAuthentication):
    """DRF's token authentication under either keyword.

    The token model is ``rest_framework.authtoken``; without that app installed, bearer
    requests are simply not authenticated by this class.
    """

    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> Any:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in self.keywords:
            return None
        from django.apps import apps

        if not apps.is_installed("rest_framework.authtoken"):
            return None
        self.keyword = parts[0].decode("latin-1")
        return super().authenticate(request)

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"
