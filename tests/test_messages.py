"""Slack and Discord messages for every event, checked against the fake services.

No database: the example community's ``data`` builders are called with stand-in objects.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from fluent_webhooks.events.catalog import BUILTIN_EVENTS, TEST_EVENT
from fluent_webhooks.events.payloads import build_payload
from fluent_webhooks.messages import discord, slack
from fluent_webhooks.messages.sentences import details, sentence
from tests.event_samples import DATA, WHEN, XPROFILE
from tests.fake_services import (
    DISCORD_EMBED_TOTAL_MAX,
    SLACK_TEXT_OBJECT_MAX,
    discord_problems,
    discord_receiver,
    error_paths,
    slack_problems,
    slack_receiver,
)

SITE = "Makers Hub"
LINK = "https://community.example.com/feed/welcome?ref=hook&x=1"


EVENTS = [*DATA, TEST_EVENT, "badge.awarded"]


def payload(event: str, data: Any = None, xprofile: Any = XPROFILE) -> dict[str, Any]:
    if data is None:
        data = DATA.get(event, {"webhook_id": 1, "message": "This is a test webhook."})
    return build_payload(event, data, xprofile, WHEN)


# Odd data a host site may send: every value of the example's data replaced by one of these.
HOSTILE = "<!channel> <!here> <@U123> @everyone @here <@&123> <#C1> & &amp; 🎉👩‍💻 \ud800 x"
ODD_VALUES = {
    "none": None,
    "number": 42,
    "float": 3.5,
    "bool": True,
    "list": ["a", 1],
    "object": {"title": 1},
    "empty": "",
    "blank": "   \n\t",
    "lone": "<",
    "amp": "&",
    "emoji": "👩‍💻",
    "surrogate": "\ud83d",
    "control": "\x00\x1b[31m",
    "hostile": HOSTILE,
    "huge": "&<>" * 3400 + "x" * 10_000,
}
ODD_PROFILES = {
    "missing": None,
    "not-an-object": "ada",
    "empty": {},
    "numbers": {"display_name": 1, "username": 2},
    "hostile": {"display_name": HOSTILE, "username": "<!here>"},
    "huge": {"display_name": "&" * 10_000, "username": "x" * 10_000},
}


def odd_payloads() -> Iterator[Any]:
    for event in EVENTS:
        keys = list(payload(event)["data"])
        for name, value in ODD_VALUES.items():
            yield pytest.param(event, {k: value for k in keys}, XPROFILE, id=f"{event}-{name}")
        for name, profile in ODD_PROFILES.items():
            yield pytest.param(event, payload(event)["data"], profile, id=f"{event}-xp-{name}")
        yield pytest.param(event, {}, None, id=f"{event}-nothing")


def render(event: str, body: dict[str, Any], site: str = SITE, link: str | None = LINK):
    return (
        slack.message(event, body, link=link, site=site),
        discord.message(event, body, link=link, site=site),
    )


def texts(value: Any) -> Iterator[str]:
    """Every string in a message, keys excluded."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def encoded(message: dict[str, Any]) -> bytes:
    # The delivery pipeline sends UTF-8 JSON; a lone surrogate would make this raise.
    return json.dumps(message, ensure_ascii=False).encode("utf-8")


_SLACK_LINK = re.compile(r"<https?://[^\s<>|]+\|View>")
_SLACK_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def assert_slack_inert(message: dict[str, Any]) -> None:
    """No user text in a Slack message can act as markup: only our own link is a <...>."""
    for text in texts(message):
        text = _SLACK_LINK.sub("", text)
        assert "<" not in text, text
        assert not _SLACK_ENTITY.search(text), text
    for block in message["blocks"]:
        for obj in [block.get("text"), *block.get("elements", [])]:
            if obj and obj["type"] == "mrkdwn":
                assert obj["verbatim"] is True


def assert_valid(event: str, body: dict[str, Any], **kwargs: Any) -> tuple[dict, dict]:
    to_slack, to_discord = render(event, body, **kwargs)
    assert slack_problems(encoded(to_slack)) is None, to_slack
    assert discord_problems(encoded(to_discord)) is None, to_discord
    assert_slack_inert(to_slack)
    assert to_discord["allowed_mentions"] == {"parse": []}
    assert json.loads(encoded(to_slack)) == to_slack
    assert json.loads(encoded(to_discord)) == to_discord
    assert render(event, body, **kwargs) == (to_slack, to_discord)  # deterministic
    return to_slack, to_discord


# Every event, as the example community sends it


@pytest.mark.parametrize("event", EVENTS)
def test_each_event_renders_a_message_both_services_accept(event: str) -> None:
    to_slack, to_discord = assert_valid(event, payload(event))
    said = sentence(event, payload(event), site=SITE)
    assert to_slack["text"] == slack.escape(said)
    assert to_discord["content"] == said
    embed = to_discord["embeds"][0]
    assert embed["url"] == LINK
    assert embed["timestamp"] == "2024-01-15T10:30:00Z"
    assert embed["footer"] == {"text": SITE}
    assert f"<{LINK.replace('&', '&amp;')}|View>" in to_slack["blocks"][0]["text"]["text"]
    assert "*Site:* Makers Hub" in [e["text"] for e in to_slack["blocks"][1]["elements"]]
    if event != TEST_EVENT:
        assert said.startswith("Ada Lovelace"), said
        assert {"name": "Who", "value": "Ada Lovelace (@ada)", "inline": True} in embed["fields"]


EXPECTED = {
    "feed.created": 'Ada Lovelace posted "Welcome to our community!"',
    "feed.updated": 'Ada Lovelace updated the post "Welcome to our community!"',
    "feed.deleted": 'Ada Lovelace deleted the post "Welcome to our community!"',
    "feed.pinned": 'Ada Lovelace pinned the post "Welcome to our community!"',
    "feed.unpinned": 'Ada Lovelace unpinned the post "Welcome to our community!"',
    "comment.created": "Ada Lovelace commented on a post",
    "comment.updated": "Ada Lovelace edited a comment on a post",
    "comment.deleted": "Ada Lovelace deleted a comment on a post",
    "reaction.added": 'Ada Lovelace reacted with "like" to a post',
    "reaction.removed": 'Ada Lovelace removed their "like" reaction from a post',
    "space.created": "Ada Lovelace created the space Makers",
    "space.updated": "Ada Lovelace updated the space Makers",
    "space.deleted": "Ada Lovelace deleted the space Makers",
    "space.member_joined": "Ada Lovelace joined space #12",
    "space.member_left": "Ada Lovelace left space #12",
    "user.registered": "Ada Lovelace registered",
    "user.profile_updated": "Ada Lovelace updated their profile",
    "user.followed": "Ada Lovelace followed member #46",
    "user.unfollowed": "Ada Lovelace unfollowed member #46",
    "course.enrolled": 'Ada Lovelace enrolled in the course "Python 101"',
    "course.unenrolled": 'Ada Lovelace unenrolled from the course "Python 101"',
    "lesson.completed": 'Ada Lovelace completed the lesson "Loops"',
    "report.created": "Ada Lovelace reported a comment",
    "report.resolved": "Ada Lovelace resolved a report on a comment",
    TEST_EVENT: "Test message from Makers Hub",
    "badge.awarded": "Ada Lovelace: badge awarded",
}


def test_the_24_documented_events_are_all_covered() -> None:
    assert set(DATA) == {event.name for event in BUILTIN_EVENTS}
    assert len(DATA) == 24
    assert set(EXPECTED) == set(EVENTS)


@pytest.mark.parametrize("event", EVENTS)
def test_sentence(event: str) -> None:
    assert sentence(event, payload(event), site=SITE) == EXPECTED[event]


@pytest.mark.parametrize(
    ("event", "data", "expected"),
    [
        ("space.member_joined", {"space": {"title": "Makers"}}, "Bob joined the space Makers"),
        (
            "space.member_joined",
            {"space_title": "Makers", "space_id": 12},
            "Bob joined the space Makers",
        ),
        (
            "feed.created",
            {"title": "Hi", "space_title": "Makers"},
            'Bob posted "Hi" in the space Makers',
        ),
        ("comment.created", {"post_title": "Hi"}, 'Bob commented on the post "Hi"'),
        ("user.followed", {"followed": {"display_name": "Cy"}}, "Bob followed Cy"),
        (
            "reaction.added",
            {"type": "love", "object_type": "comment"},
            'Bob reacted with "love" to a comment',
        ),
        ("lesson.completed", {"lesson_id": 9}, "Bob completed lesson #9"),
        ("report.created", {"feed_id": 1, "comment_id": None}, "Bob reported a post"),
    ],
)
def test_sentence_uses_what_a_host_site_sends(event: str, data: dict, expected: str) -> None:
    assert sentence(event, {"data": data, "xprofile": {"username": "Bob"}}) == expected


@pytest.mark.parametrize(
    ("event", "data", "expected"),
    [
        ("feed.created", {}, "Someone created a feed post"),
        ("feed.deleted", {"title": None}, "Someone deleted a feed post"),
        ("space.member_left", {"space_id": [1]}, "Someone left a space"),
        ("course.enrolled", {"course_title": {"x": 1}}, "Someone enrolled in a course"),
        ("report.resolved", {"comment_id": 3}, "A report on a comment was resolved"),
        ("report.resolved", {}, "A report on some content was resolved"),
        ("user.registered", {"username": "neo"}, "neo registered"),
        ("badge.awarded", {}, "Badge awarded"),
    ],
)
def test_sentence_falls_back_to_generic_wording(event: str, data: Any, expected: str) -> None:
    assert sentence(event, {"data": data, "xprofile": None}) == expected


@pytest.mark.parametrize("body", [{}, {"data": None}, {"data": "x", "xprofile": 3}, []])
def test_sentence_never_raises_on_a_malformed_payload(body: Any) -> None:
    assert sentence("feed.created", body) == "Someone created a feed post"
    assert details(body) == []
    assert_valid("feed.created", body if isinstance(body, dict) else {})


def test_details_name_who_and_where() -> None:
    body = {"data": {"space_id": 12, "course_title": "Python 101"}, "xprofile": XPROFILE}
    assert details(body) == [
        ("Who", "Ada Lovelace (@ada)"),
        ("Space", "#12"),
        ("Course", "Python 101"),
    ]


# Odd data: both services still accept the message, and nobody is pinged


@pytest.mark.parametrize(("event", "data", "xprofile"), list(odd_payloads()))
def test_odd_data_still_makes_an_acceptable_message(event: str, data: Any, xprofile: Any) -> None:
    body = {"event": event, "timestamp": "2024-01-15T10:30:00Z", "data": data, "xprofile": xprofile}
    assert_valid(event, body)


@pytest.mark.parametrize("site", ["", "&", "<!channel>", "🎉", "S" * 10_000])
@pytest.mark.parametrize(
    "link",
    [None, "", "javascript:alert(1)", "https://x.test/a|b>c", "https://x.test/" + "a" * 5000],
)
def test_odd_site_and_link_still_make_an_acceptable_message(site: str, link: str | None) -> None:
    to_slack, to_discord = assert_valid(
        "feed.created", payload("feed.created"), site=site, link=link
    )
    if link and link.startswith("https://x.test/a|"):
        assert "<https://x.test/a%7Cb%3Ec|View>" in to_slack["blocks"][0]["text"]["text"]
        assert to_discord["embeds"][0]["url"] == "https://x.test/a%7Cb%3Ec"
    if link in (None, "", "javascript:alert(1)"):
        assert "url" not in to_discord["embeds"][0]


def test_mentions_in_user_text_are_escaped_for_slack() -> None:
    data = {"title": "Hi <!channel> <@U123> & <!here>", "message": "<@&123> @everyone > quote"}
    body = {"data": data, "xprofile": {"display_name": "<@U999>"}}
    to_slack, to_discord = assert_valid("feed.created", body)
    section = to_slack["blocks"][0]["text"]["text"]
    assert section.startswith(
        '&lt;@U999&gt; posted "Hi &lt;!channel&gt; &lt;@U123&gt; &amp; &lt;!here&gt;"'
    )
    assert "\n> &lt;@&amp;123&gt; @everyone &gt; quote" in section
    # Discord shows the text as it is; allowed_mentions keeps it from pinging.
    assert to_discord["content"] == '<@U999> posted "Hi <!channel> <@U123> & <!here>"'
    assert to_discord["embeds"][0]["description"] == "<@&123> @everyone > quote"
    assert to_discord["allowed_mentions"] == {"parse": []}


def test_long_content_is_cut_with_an_ellipsis_inside_every_limit() -> None:
    data = {"title": "T" * 10_000, "message": "M" * 10_000}
    huge = {"display_name": "D" * 10_000}
    body = {"data": data, "xprofile": huge, "timestamp": "2024-01-15T10:30:00Z"}
    to_slack, to_discord = assert_valid("feed.created", body, site="S" * 10_000)
    for text in texts(to_slack["blocks"]):
        assert len(text) <= SLACK_TEXT_OBJECT_MAX
    assert to_slack["blocks"][0]["text"]["text"].endswith("…")
    embed = to_discord["embeds"][0]
    assert embed["description"].endswith("…")
    assert embed["footer"]["text"] == "S" * 2047 + "…"
    counted = [embed["title"], embed["description"], embed["footer"]["text"]]
    counted += [f["name"] + f["value"] for f in embed["fields"]]
    assert sum(map(len, counted)) <= DISCORD_EMBED_TOTAL_MAX


@pytest.mark.parametrize("limit", range(1, 40))
def test_slack_clipping_never_splits_an_entity(limit: int) -> None:
    clipped = slack.clip_escaped(slack.escape("&<>" * 30), limit)
    assert len(clipped) <= limit
    assert re.fullmatch(r"(&amp;|&lt;|&gt;)*…?", clipped), clipped


def test_emoji_are_not_split_and_lone_surrogates_are_replaced() -> None:
    data = {"title": "🎉" * 2000, "message": "a\ud800b"}
    to_slack, to_discord = assert_valid("feed.created", {"data": data, "xprofile": XPROFILE})
    assert to_discord["embeds"][0]["description"] == "a\ufffdb"
    encoded(to_slack)  # would raise on a lone surrogate


def test_a_timestamp_that_is_not_iso_8601_is_left_out() -> None:
    for stamp in (None, 1705314600, "2024-01-15 10:30:00", "yesterday"):
        _, to_discord = assert_valid("feed.created", {"timestamp": stamp, "data": {}})
        assert "timestamp" not in to_discord["embeds"][0]


# The fake services refuse what the real ones refuse


def test_slack_refuses_what_slack_refuses() -> None:
    def section(text: str) -> dict:
        return {"type": "section", "text": {"type": "mrkdwn", "text": text}}

    assert slack_problems(b"{}") == (400, b"no_text")
    assert slack_problems(b'{"text": "  "}') == (400, b"no_text")
    assert slack_problems(b"not json") == (400, b"invalid_payload")
    assert slack_problems(b"[]") == (400, b"invalid_payload")
    assert slack_problems(b'{"text": "hi"}') is None
    refused = [
        [{"type": "banner", "text": "hi"}],
        [section("x" * 3001)],
        [section("")],
        [section("ok")] * 51,
        [{"type": "section"}],
        [{"type": "context", "elements": []}],
        [{"type": "section", "text": {"type": "plain_text", "text": "x", "verbatim": True}}],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}],
    ]
    for blocks in refused:
        body = json.dumps({"text": "hi", "blocks": blocks}).encode()
        assert slack_problems(body) == (400, b"invalid_blocks"), blocks
    assert slack_problems(json.dumps({"blocks": [section("x" * 3000)] * 50}).encode()) is None


def test_discord_refuses_what_discord_refuses() -> None:
    def problems(message: dict) -> tuple[int, dict] | None:
        return discord_problems(json.dumps(message).encode())

    empty = (400, {"code": 50006, "message": "Cannot send an empty message"})
    assert problems({}) == empty
    assert problems({"content": "   ", "embeds": []}) == empty
    assert discord_problems(b"{") == (
        400,
        {"code": 50109, "message": "The request body contains invalid JSON."},
    )
    assert problems({"content": "hi"}) is None

    def refused_at(message: dict) -> list[str]:
        answer = problems(message)
        assert answer is not None
        assert answer[0] == 400
        assert answer[1]["code"] == 50035
        assert answer[1]["message"] == "Invalid Form Body"
        return error_paths(answer[1]["errors"])

    assert refused_at({"embeds": [{"title": "t" * 257}]}) == ["embeds.0.title"]
    assert refused_at({"content": "c" * 2001}) == ["content"]
    assert refused_at({"embeds": [{"description": "d" * 4097}]}) == ["embeds.0.description"]
    assert refused_at({"embeds": [{"title": "t"}] * 11}) == ["embeds"]
    assert refused_at({"embeds": [{"footer": {"text": "f" * 2049}}]}) == ["embeds.0.footer.text"]
    field = {"name": "n", "value": "v"}
    assert refused_at({"embeds": [{"fields": [field] * 26}]}) == ["embeds.0.fields"]
    assert refused_at({"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]}) == [
        "embeds.0.fields.0.name"
    ]
    assert refused_at({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}) == [
        "embeds.0.fields.0.value"
    ]
    assert refused_at({"embeds": [{"fields": [{"name": "n", "value": " "}]}]}) == [
        "embeds.0.fields.0.value"
    ]
    assert refused_at({"embeds": [{"url": "javascript:alert(1)", "title": "t"}]}) == [
        "embeds.0.url"
    ]
    too_big = {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}
    assert refused_at(too_big) == ["embeds"]
    # Leading and trailing whitespace is not counted ("Embed Limits").
    assert problems({"embeds": [{"title": " " * 100 + "t" * 256 + " " * 100}]}) is None


# Over HTTP, through tests.receiver


def post(url: str, message: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        url, data=encoded(message), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_slack_receiver_accepts_a_rendered_message_and_refuses_an_empty_one(receiver) -> None:
    service = slack_receiver(receiver)
    to_slack, _ = render("feed.created", payload("feed.created"))
    assert post(receiver.url(), to_slack)[::2] == (200, b"ok")
    assert post(receiver.url(), {})[::2] == (400, b"no_text")
    assert service.accepted == [to_slack]
    assert service.refused == [(400, b"no_text")]


def test_discord_receiver_rate_limits_then_accepts(receiver) -> None:
    service = discord_receiver(receiver, rate_limited=1)
    _, to_discord = render("comment.created", payload("comment.created"))
    status, headers, body = post(receiver.url("/hook"), to_discord)
    assert status == 429
    assert headers["Retry-After"] == "1"
    assert json.loads(body) == {
        "message": "You are being rate limited.",
        "retry_after": 0.5,
        "global": False,
    }
    assert post(receiver.url("/hook"), to_discord)[::2] == (204, b"")
    status, _, body = post(receiver.url("/hook?wait=true"), to_discord)
    assert status == 200
    assert json.loads(body)["content"] == to_discord["content"]
    status, _, body = post(receiver.url("/hook"), {"embeds": [{"title": "t" * 300}]})
    assert (status, error_paths(json.loads(body)["errors"])) == (400, ["embeds.0.title"])
    assert service.accepted == [to_discord, to_discord]
