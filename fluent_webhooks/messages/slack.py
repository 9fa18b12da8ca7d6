"""A Block Kit message for a Slack incoming webhook."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import sentences
from .text import ELLIPSIS, clean, clip, length, web_link

# Limits from Slack's Block Kit reference (docs.slack.dev, read 2026):
# - reference/block-kit/blocks: "You can include up to 50 blocks in each message";
# - reference/block-kit/composition-objects/text-object: a text object's text has "minimum
#   length is 1 and maximum length is 3000 characters"; that bounds a section's text and each
#   text element of a context block (a section's *fields* have their own 2,000, unused here);
# - reference/block-kit/blocks/context-block: elements, "Maximum number of items is 10";
# - api.slack.com/changelog/2018-04-truncating-really-long-messages: a message's top-level
#   `text` is truncated past 40,000 characters.
BLOCKS_LIMIT = 50
SECTION_TEXT_LIMIT = 3000
CONTEXT_TEXT_LIMIT = 3000
CONTEXT_ELEMENTS_LIMIT = 10
TEXT_LIMIT = 40_000
# A link longer than this would crowd out the sentence; the message goes without it.
LINK_LIMIT = 1000


def escape(text: str) -> str:
    """User text made inert for mrkdwn.

    "There are three characters you must convert to HTML entities and only three: &, <, and >"
    (api.slack.com/docs/message-formatting): with them escaped, ``<!channel>``, ``<!here>``
    and ``<@U123>`` in a post are shown, not sent as mentions.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip_escaped(text: str, limit: int) -> str:
    """Escaped ``text`` cut to ``limit`` with an ellipsis, never inside an entity."""
    clipped = clip(text, limit)
    if clipped == text:
        return text
    kept = clipped.removesuffix(ELLIPSIS)
    amp = kept.rfind("&")
    if amp != -1 and ";" not in kept[amp:]:
        # Cut in the middle of "&amp;": drop the stub rather than send "&am".
        kept = kept[:amp].rstrip()
    return kept + ELLIPSIS


def message(
    event: str, payload: Mapping[str, Any], *, link: str | None, site: str
) -> dict[str, Any]:
    """``{"text", "blocks"}``: the sentence as the notification, a section, a context line."""
    said = sentences.sentence(event, payload, site=site)
    blocks: list[dict[str, Any]] = [_section(said, sentences.excerpt(payload), link)]
    context = _context(sentences.details(payload), clean(site))
    if context is not None:
        blocks.append(context)
    return {"text": clip_escaped(escape(said), TEXT_LIMIT), "blocks": blocks[:BLOCKS_LIMIT]}


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack then "won't modify any plain-text content", so a bare "@channel" or
    # "#general" in a title is not turned into a mention or a channel link either.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(said: str, quote: str | None, link: str | None) -> dict[str, Any]:
    view = _link(link)
    head = clip_escaped(escape(said), SECTION_TEXT_LIMIT - length(view)) + view
    room = SECTION_TEXT_LIMIT - length(head) - 1
    if quote and room > len("> " + ELLIPSIS):
        lines = "\n".join(f"> {escape(line)}" for line in quote.splitlines())
        head += "\n" + clip_escaped(lines, room)
    return {"type": "section", "text": _mrkdwn(head)}


def _link(link: str | None) -> str:
    url = web_link(link)
    view = f" <{escape(url)}|View>" if url else ""
    return view if length(view) <= LINK_LIMIT else ""


def _context(facts: list[tuple[str, str]], site: str | None) -> dict[str, Any] | None:
    lines = [*facts, ("Site", site)] if site else facts
    elements = [
        _mrkdwn(clip_escaped(f"*{name}:* {escape(value)}", CONTEXT_TEXT_LIMIT))
        for name, value in lines[:CONTEXT_ELEMENTS_LIMIT]
    ]
    # A context block must have at least one element.
    return {"type": "context", "elements": elements} if elements else None
