"""An execute-webhook body for a Discord incoming webhook: one embed that pings nobody."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import sentences
from .text import clean, clip, length, web_link

# Limits from Discord's developer docs (github.com/discord/discord-api-docs, read 2026):
# - resources/webhook "Execute Webhook": content "up to 2000 characters", embeds "array of up
#   to 10 embed objects"; the answer is 204 No Content unless ?wait=true;
# - resources/message "Embed Limits": title 256, description 4096, up to 25 fields, field.name
#   256, field.value 1024, footer.text 2048, author.name 256, and "the combined sum of
#   characters in all title, description, field.name, field.value, footer.text, and
#   author.name fields across all embeds attached to a message must not exceed 6000".
# The OpenAPI spec (github.com/discord/discord-api-spec, specs/openapi.json: RichEmbed,
# RichEmbedField, IncomingWebhookRequestPartial) gives the same maxLength values, an embed url
# of at most 2048, and field name and value as required.
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
URL_LIMIT = 2048
# The payload's timestamp as the API family writes it (2024-01-15T10:30:00Z), or with an offset.
_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def message(
    event: str, payload: Mapping[str, Any], *, link: str | None, site: str
) -> dict[str, Any]:
    """``{"content", "embeds", "allowed_mentions"}`` for one event."""
    return {
        "content": clip(sentences.sentence(event, payload, site=site), CONTENT_LIMIT),
        "embeds": [_embed(event, payload, link, clean(site))],
        # An empty "parse" turns every mention off whatever the text says (resources/message,
        # "Allowed Mentions Object"); left out, a webhook message pings @everyone and roles.
        "allowed_mentions": {"parse": []},
    }


def _embed(
    event: str, payload: Mapping[str, Any], link: str | None, site: str | None
) -> dict[str, Any]:
    embed: dict[str, Any] = {"title": clip(sentences.label(event), TITLE_LIMIT)}
    url = web_link(link)
    if url and length(url) <= URL_LIMIT:
        embed["url"] = url
    fields = [
        {
            "name": clip(name, FIELD_NAME_LIMIT),
            "value": clip(value, FIELD_VALUE_LIMIT),
            "inline": True,
        }
        for name, value in sentences.details(payload)[:FIELDS_LIMIT]
    ]
    if fields:
        embed["fields"] = fields
    if site:
        embed["footer"] = {"text": clip(site, FOOTER_LIMIT)}
    timestamp = _timestamp(payload)
    if timestamp:
        embed["timestamp"] = timestamp
    # The description takes what the 6,000 total leaves, after the parts that say who and where.
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - _counted(embed))
    quote = sentences.excerpt(payload)
    if quote and room > 1:
        embed["description"] = clip(quote, room)
    return embed


def _counted(embed: Mapping[str, Any]) -> int:
    """The characters of ``embed`` that count towards the 6,000 total."""
    total = length(embed.get("title", "")) + length(embed.get("description", ""))
    total += sum(length(f["name"]) + length(f["value"]) for f in embed.get("fields", []))
    return total + length(embed.get("footer", {}).get("text", ""))


def _timestamp(payload: Mapping[str, Any]) -> str | None:
    """The payload's ISO 8601 ``timestamp``, if it is one."""
    value = payload.get("timestamp") if isinstance(payload, Mapping) else None
    if not isinstance(value, str) or not _ISO_8601.fullmatch(value):
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value
