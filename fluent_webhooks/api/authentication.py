"""The API's authentication: DRF's Basic and token schemes, refusing credentials no user or
token can have instead of handing them to the database."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

# PostgreSQL refuses NUL in a string, so a lookup with one raised ValueError: a 500 for a
# request any anonymous client can send (found by Schemathesis).
_NUL = "\x00"


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's HTTP Basic authentication."""

    def authenticate_credentials(
        self, userid: str, password: str, request: Request | None = None
    ) -> tuple[Any, None]:
        if _NUL in userid or _NUL in password:
            raise AuthenticationFailed("Invalid username/password.")
        return super().authenticate_credentials(userid, password, request)


class BearerTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, under ``Authorization: Bearer <key>`` as well as ``Token``.

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

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        if _NUL in key:
            raise AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"
