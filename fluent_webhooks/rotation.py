"""Secret rotation with overlap: the one owner of a webhook's previous secrets.

A rotation gives a webhook a new secret and keeps the old one valid for a grace period (24 h
by default, as Svix does), so receivers can switch without missing a delivery. While it lasts,
``webhook-signature`` carries a signature for every valid secret (newest first);
``X-Fluent-Signature`` has room for one and is signed with the new secret only.
The API, the admin's "Generate new secret" and ``manage.py webhooks rotate-secret`` all call
:func:`rotate_secret`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import Webhook
from .secret_keys import generate_secret

DEFAULT_GRACE_PERIOD = 24 * 3600
MAX_GRACE_PERIOD = 7 * 24 * 3600
# Older secrets still in their grace period beyond this many are dropped at a rotation: each
# adds a signature to every delivery.
MAX_PREVIOUS_SECRETS = 3


class InvalidGracePeriod(ValueError):
    """A grace period that is not a whole number of seconds within the bounds."""


@dataclass(frozen=True)
class PreviousSecret:
    secret: str
    expires_at: datetime


def clean_grace_period(value: Any) -> int:
    """``value`` as seconds of overlap; None is the default. Raises ``InvalidGracePeriod``."""
    if value is None:
        return DEFAULT_GRACE_PERIOD
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (0 <= value <= MAX_GRACE_PERIOD)
    ):
        raise InvalidGracePeriod(
            f"Grace period must be a whole number of seconds from 0 to {MAX_GRACE_PERIOD}."
        )
    return value


def previous_secrets(webhook: Webhook, now: datetime | None = None) -> list[PreviousSecret]:
    """The webhook's replaced secrets still within their grace period, newest first."""
    moment = timezone.now() if now is None else now
    kept = []
    for entry in webhook.previous_secrets or ():
        try:
            expires_at = datetime.fromisoformat(entry["expires_at"])
            secret = entry["secret"]
        except (KeyError, TypeError, ValueError):
            continue  # not a record this module wrote: never sign with it
        if isinstance(secret, str) and secret and expires_at > moment:
            kept.append(PreviousSecret(secret, expires_at))
    return kept


def signing_secrets(webhook: Webhook, now: datetime | None = None) -> list[str]:
    """Every secret a delivery is signed with now: the current one first, then the previous
    ones still in their grace period."""
    return [webhook.secret, *(p.secret for p in previous_secrets(webhook, now))]


def rotate_secret(webhook_id: int, grace_period: int = DEFAULT_GRACE_PERIOD) -> Webhook:
    """Give the webhook a new secret; the one it had stays valid for ``grace_period`` seconds.

    Older secrets still valid keep their expiry, but none outlives the new grace period: 0
    ends every old secret at once (the rotation after a leak). Raises ``Webhook.DoesNotExist``.
    """
    seconds = clean_grace_period(grace_period)
    with transaction.atomic():
        # Locked, so that two rotations at once both keep the secret each replaced.
        webhook = Webhook.objects.select_for_update().get(pk=webhook_id)
        now = timezone.now()
        ends = now + timedelta(seconds=seconds)
        kept = (
            [
                PreviousSecret(webhook.secret, ends),
                *(
                    PreviousSecret(p.secret, min(p.expires_at, ends))
                    for p in previous_secrets(webhook, now)
                ),
            ]
            if seconds
            else []
        )
        webhook.previous_secrets = [
            {"secret": p.secret, "expires_at": p.expires_at.isoformat()}
            for p in kept[:MAX_PREVIOUS_SECRETS]
        ]
        webhook.secret = generate_secret()
        webhook.save(update_fields=["secret", "previous_secrets", "updated_at"])
    return webhook
