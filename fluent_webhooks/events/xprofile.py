"""The payload's ``xprofile``: who caused the event. Pluggable via ``XPROFILE_BUILDER``."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

from django.utils.module_loading import import_string

from ..conf import conf
from ..formats import api_datetime

XProfileBuilder = Callable[[Any], "dict[str, Any] | None"]


def build_xprofile(user: Any) -> dict[str, Any] | None:
    """The ``xprofile`` of ``user`` by the configured builder; ``None`` without a user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return _builder(conf.xprofile_builder)(user)


@lru_cache(maxsize=4)
def _builder(path: str) -> XProfileBuilder:
    return cast(XProfileBuilder, import_string(path))


def default_xprofile(user: Any) -> dict[str, Any]:
    """An ``xprofile`` from Django's user model alone, with the documented keys.

    Sites with a profile model set ``XPROFILE_BUILDER`` to a function of their own.
    """
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    username = user.get_username()
    return {
        "user_id": user.pk,
        "total_points": 0,
        "is_verified": 0,
        "status": "active" if getattr(user, "is_active", True) else "inactive",
        "display_name": full_name or username,
        "username": username,
        "avatar": None,
        "created_at": api_datetime(getattr(user, "date_joined", None)),
        "short_description": "",
        "meta": {"website": "", "cover_photo": "", "social_links": {}, "badge_slug": []},
        "badge": None,
    }
