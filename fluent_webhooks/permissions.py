"""Who may manage webhooks: superusers and users granted ``manage_webhooks``."""

from __future__ import annotations

from typing import Any

MANAGE_PERMISSION = "fluent_webhooks.manage_webhooks"


def can_manage_webhooks(user: Any) -> bool:
    """The one rule the API and the admin share."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser or user.has_perm(MANAGE_PERMISSION))
