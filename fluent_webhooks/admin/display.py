"""How the admin shows a value at a glance: coloured badges, a success bar, short times.

The look is ``static/fluent_webhooks/admin.css``, built on the admin's own colour variables so
it follows the admin's light and dark themes; ``admin.js`` makes drop-down filters go.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from ..models import Attempt

Tone = Literal["ok", "warn", "error", "quiet"]

ADMIN_CSS = "fluent_webhooks/admin.css"
ADMIN_JS = "fluent_webhooks/admin.js"


def badge(text: str, tone: Tone, title: str = "") -> SafeString:
    return format_html('<span class="fw-badge fw-{}" title="{}">{}</span>', tone, title, text)


def local_time(moment: datetime) -> str:
    """A full timestamp in the admin's time zone, to the second."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def ago(moment: datetime | None) -> SafeString | str:
    """'5 min ago', short enough for a list column; the full time on hover; '-' for never."""
    if moment is None:
        return "-"
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < 60:
        short = "just now"
    elif seconds < 3600:
        short = f"{seconds // 60} min ago"
    elif seconds < 86400:
        short = f"{seconds // 3600} h ago"
    else:
        short = f"{seconds // 86400} d ago"
    return format_html('<span class="fw-nowrap" title="{}">{}</span>', local_time(moment), short)


def rate_bar(rate: float | None, attempts: int) -> SafeString | str:
    """A small bar and a figure, green from 95 %, amber from 75 %, red below; '-' for none."""
    if rate is None:
        return "-"
    percent = round(100 * rate)
    tone: Tone = "ok" if percent >= 95 else "warn" if percent >= 75 else "error"
    return format_html(
        '<span class="fw-rate fw-{}" title="{}% of {} attempts succeeded in the last 24 h">'
        '<span class="fw-rate-bar"><span style="width: {}%"></span></span>{}%</span>',
        tone,
        percent,
        attempts,
        percent,
        percent,
    )


def attempt_result(attempt: Attempt) -> SafeString:
    """'200' in green for a success, the status (or 'no answer') in red for a failure."""
    shown = str(attempt.status_code) if attempt.status_code is not None else "no answer"
    if attempt.succeeded:
        return badge(f"✓ {shown}", "ok", "succeeded")
    return badge(f"✗ {shown}", "error", "failed")


def truncated(text: str, css_class: str = "fw-truncate") -> SafeString | str:
    """One line, cut with an ellipsis by the stylesheet; the whole text on hover."""
    if not text:
        return "-"
    return format_html('<span class="{}" title="{}">{}</span>', css_class, text, text)


def folded(summary: str, text: str) -> SafeString | str:
    """Long text folded under a one-line summary, wrapped when opened."""
    if not text:
        return "-"
    return format_html(
        '<details class="fw-folded"><summary>{}</summary><pre>{}</pre></details>', summary, text
    )
