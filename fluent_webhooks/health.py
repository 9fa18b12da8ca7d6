"""A webhook's health: when a run of failures earns a warning or switches it off, and telling
the people who manage webhooks.

``delivery/record.py`` keeps the counters and asks ``judge`` in the transaction that records
the attempts (the webhook rows locked); what it returns goes out through ``send_notices``
after the commit, and nothing in there can break the recording.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.urls import NoReverseMatch, reverse

from .choices import WebhookStatus
from .conf import conf
from .formats import api_datetime
from .models import Webhook
from .signals import webhook_disabled

logger = logging.getLogger(__name__)

MANAGE_PERMISSION = "fluent_webhooks.manage_webhooks"
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# The most failures counted (the column's limit): a dead receiver under heavy traffic with
# auto-disable turned off must not make the recording fail.
MAX_COUNTED = 2**31 - 1
GONE_REASON = "The receiver answered 410 Gone, which asks senders to stop."

#: What a success writes: the run of failures is over.
RECOVERED: dict[str, Any] = {"consecutive_failures": 0, "failing_since": None, "warned_at": None}
#: What a person's re-activation writes: a fresh start.
REACTIVATED: dict[str, Any] = {**RECOVERED, "disabled_at": None, "disabled_reason": None}


@dataclass(frozen=True)
class Standing:
    """A webhook's health columns as read, under its row lock, before this group's attempts."""

    status: str
    consecutive_failures: int
    failing_since: datetime | None
    warned_at: datetime | None

    def after(self, failures: int, now: datetime) -> tuple[int, datetime]:
        """Failed attempts in a row, and since when, once ``failures`` more are counted."""
        return min(self.consecutive_failures + failures, MAX_COUNTED), self.failing_since or now


class Verdict(enum.Enum):
    WARN = "warning"
    DISABLE = "disabled"


def judge(standing: Standing, failures: int, now: datetime) -> Verdict | None:
    """What ``failures`` more failed attempts (and no success) mean for an active webhook."""
    if standing.status != WebhookStatus.ACTIVE:
        return None
    total, since = standing.after(failures, now)
    try:
        disable_after, warn_after = conf.disable_after, conf.warn_after
    except (TypeError, ValueError, OverflowError):  # the worker runs no system checks
        logger.exception("DISABLE_AFTER or WARN_AFTER is not a duration; see manage.py check.")
        return None
    if (
        disable_after is not None
        and now - since >= disable_after
        and total >= conf.disable_after_failures
    ):
        return Verdict.DISABLE
    if warn_after is not None and standing.warned_at is None and now - since >= warn_after:
        return Verdict.WARN
    return None


def disabled_reason(failures: int, since: datetime, now: datetime) -> str:
    return (
        f"Every delivery attempt failed for {_duration(now - since)} "
        f"({failures} attempts in a row since {api_datetime(since)} UTC)."
    )


@dataclass(frozen=True)
class Notice:
    """A warning or a disable to tell people about once the recording has committed."""

    verdict: Verdict
    webhook_id: int
    failures: int
    failing_since: datetime
    last_error: str
    reason: str = ""


def send_notices(notices: Sequence[Notice]) -> None:
    """The signal and the e-mails of each notice. Never raises: the attempts are recorded
    whatever happens here, and a failure is logged."""
    for notice in notices:
        try:
            _send(notice)
        except Exception:
            logger.exception(
                "Could not send the %s notice of webhook %s.",
                notice.verdict.value,
                notice.webhook_id,
            )


def _send(notice: Notice) -> None:
    webhook = Webhook.objects.filter(pk=notice.webhook_id).first()
    if webhook is None:  # deleted since
        return
    if notice.verdict is Verdict.DISABLE:
        for receiver, result in webhook_disabled.send_robust(
            sender=Webhook,
            webhook=webhook,
            reason=notice.reason,
            failures=notice.failures,
            failing_since=notice.failing_since,
            last_error=notice.last_error,
        ):
            if isinstance(result, Exception):
                logger.error("webhook_disabled receiver %r raised", receiver, exc_info=result)
    recipients = manager_addresses()
    if not recipients:
        logger.warning("Webhook %s: %s, and nobody to e-mail.", webhook.pk, notice.verdict.value)
        return
    subject, body = _message(notice, webhook)
    with get_connection() as connection:
        connection.send_messages([EmailMessage(subject, body, to=[to]) for to in recipients])


def manager_addresses() -> list[str]:
    """The e-mail addresses of the active users who may manage webhooks: superusers and those
    with the permission, directly or by group; each address once."""
    user_model = get_user_model()
    manager = user_model._default_manager
    if hasattr(manager, "with_perm"):
        # The permission as stored in the database, whatever other backends a site has
        # (with several, Django wants one named).
        users = manager.with_perm(
            MANAGE_PERMISSION, is_active=True, include_superusers=True, backend=_MODEL_BACKEND
        )
    else:  # a custom user model without Django's permissions
        users = manager.none()
    field = user_model.get_email_field_name()
    seen: dict[str, str] = {}
    for address in users.values_list(field, flat=True):
        if address:
            seen.setdefault(str(address).strip().lower(), str(address).strip())
    return list(seen.values())


# "HTTP 503: <the receiver's body>": the body is the receiver's text, which a hostile receiver
# would fill with instructions for the managers who read this; the admin shows it whole.
_RECEIVER_TEXT = re.compile(r"^(HTTP \d{3})(?::\s.*)?$", re.DOTALL)


def _own_words(last_error: str) -> str:
    """The last error in the app's words: an HTTP status without the receiver's body."""
    if not last_error:
        return "-"
    status = _RECEIVER_TEXT.match(last_error)
    if status:
        return f"{status.group(1)} (the receiver's answer is in the admin's delivery log)"
    return last_error


def _message(notice: Notice, webhook: Webhook) -> tuple[str, str]:
    site = " ".join(conf.site_name.split())
    # A name may hold line breaks, which a subject line must not (Django refuses the message).
    title = " ".join(webhook.name.split())[:100]
    since = f"{api_datetime(notice.failing_since)} UTC"
    # The URL's path and query often hold a credential (Slack's are one): the host is enough.
    parts = urlsplit(webhook.url)
    port = f":{parts.port}" if parts.port else ""
    where = f"{parts.scheme}://{parts.hostname}{port}/…"
    facts = [
        f'Webhook: "{webhook.name}" (id {webhook.pk}, {where})',
        f"Failing since: {since}",
        f"Failed attempts in a row: {notice.failures}",
        f"Last error: {_own_words(notice.last_error)}",
    ]
    link = _admin_link(webhook)
    if link:
        facts.append(f"Webhook in the admin: {link}")
    if notice.verdict is Verdict.DISABLE:
        subject = f"[{site}] Webhook {title!r} was disabled"
        opening = (
            f'The webhook "{webhook.name}" has been set inactive by {site}.\n'
            f"Reason: {notice.reason}"
        )
        advice = (
            "Nothing more is sent to it. The events it was still owed are kept, not dropped.\n"
            "What to do: make sure the receiver is up and answers with a 2xx status, then set "
            "the webhook's status back to active (in the admin or through the API); the kept "
            "deliveries then go out, and a replay re-sends what it missed before."
        )
    else:
        subject = f"[{site}] Webhook {title!r} is failing"
        opening = f'Every delivery to the webhook "{webhook.name}" has failed since {since}.'
        deadline = conf.disable_after
        advice = "What to do: make sure the receiver is up and answers with a 2xx status."
        if deadline is not None:
            advice += (
                f"\nIf every attempt keeps failing, it will be disabled once it has failed for "
                f"{_duration(deadline)} (from {api_datetime(notice.failing_since + deadline)} "
                f"UTC) and at least {conf.disable_after_failures} attempts in a row."
            )
        advice += "\nThis warning is sent once for this run of failures."
    return subject, "\n\n".join([opening, "\n".join(facts), advice]) + "\n"


def _admin_link(webhook: Webhook) -> str | None:
    if not conf.site_url:
        return None
    try:
        path = reverse("admin:fluent_webhooks_webhook_change", args=[webhook.pk])
    except NoReverseMatch:  # the admin is not installed
        return None
    return conf.site_url.rstrip("/") + path


def _duration(span: timedelta) -> str:
    """A span in words, to the hour: "5 days", "1 day and 3 hours", "2 hours"."""
    hours = int(span.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    words = [
        f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((days, "day"), (hours, "hour")) if n
    ]
    if not words:
        minutes = max(int(span.total_seconds() // 60), 0)
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    return " and ".join(words)
