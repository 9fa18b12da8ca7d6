"""What a receiver gets, by the webhook's ``format``: the documented payload as stored, or the
message a chat service's incoming webhook accepts, written from it.

- ``render_body(event, stored_body, webhook_format)``: the exact bytes sent (and signed);
- ``sentences``: a short human sentence per event, and labelled facts (who, where);
- ``slack.message(event, payload, link=..., site=...)``: a Block Kit message;
- ``discord.message(event, payload, link=..., site=...)``: an execute-webhook body with one
  embed that pings nobody.

The renderers are pure functions of ``(event, payload)``: deterministic, plain JSON data, and
within the services' documented limits whatever a host site puts into ``data``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from django.utils.module_loading import import_string

from ..choices import WebhookFormat
from ..conf import conf
from . import discord, slack
from .template import render

logger = logging.getLogger(__name__)

Renderer = Callable[..., dict[str, Any]]
_RENDERERS: dict[str, Renderer] = {
    WebhookFormat.SLACK.value: slack.message,
    WebhookFormat.DISCORD.value: discord.message,
}


def render_body(event: str, stored_body: str, webhook_format: str, template: Any = None) -> bytes:
    """The exact bytes a webhook of ``webhook_format`` receives for an event stored as
    ``stored_body``."""
    if webhook_format == WebhookFormat.TEMPLATE:
        return _compact(render(template, json.loads(stored_body)))
    renderer = _RENDERERS.get(webhook_format)
    if renderer is None:
        return stored_body.encode("utf-8")
    payload = json.loads(stored_body)
    data = payload.get("data") if isinstance(payload, dict) else None
    message = renderer(event, payload, link=object_link(event, data), site=conf.site_name)
    return _compact(message)


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def object_link(event: str, data: Any) -> str | None:
    """The page an event is about, from the site's ``OBJECT_LINK`` callable; a path is joined
    to ``SITE_URL``. A callable that fails costs the link, never the delivery."""
    path = conf.object_link
    if path is None or not isinstance(data, Mapping):
        return None
    try:
        link = _callable(path)(event, data)
    except Exception:
        logger.warning("OBJECT_LINK %s failed for %s; no link.", path, event, exc_info=True)
        return None
    if not isinstance(link, str) or not link:
        return None
    if link.startswith(("http://", "https://")):
        return link
    return urljoin(conf.site_url, link) if conf.site_url else None


@lru_cache(maxsize=4)
def _callable(path: str) -> Callable[[str, Mapping[str, Any]], Any]:
    function: Callable[[str, Mapping[str, Any]], Any] = import_string(path)
    return function
