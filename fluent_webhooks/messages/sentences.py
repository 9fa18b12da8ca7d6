"""A short human sentence for each event, and the facts around it.

The sentence reads what the example community sends (``example_project/community``) but a
host site's ``data`` may differ: every field is optional, and a field of an odd type is
ignored, so the wording falls back to the generic ("Someone created a feed post").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..events.catalog import TEST_EVENT
from .text import clean, clip, one_line

__all__ = ["TEST_EVENT", "details", "excerpt", "label", "sentence"]

# Names and titles are clipped inside the sentence so that it stays a sentence.
NAME_LIMIT = 80
TITLE_LIMIT = 100
EXCERPT_LIMIT = 500
DEFAULT_SITE = "fluent-webhooks"


@dataclass(frozen=True)
class _Facts:
    """What a payload says, read leniently."""

    actor: str | None
    data: Mapping[str, Any]

    @property
    def who(self) -> str:
        return self.actor or "Someone"

    def name(self, *keys: str) -> str | None:
        """The first of ``keys`` in ``data`` that holds text, on one line and clipped."""
        return _first(self.data, keys, TITLE_LIMIT)

    def nested(self, key: str, *keys: str) -> str | None:
        """Like ``name``, within the object ``data[key]`` (``{"space": {"title": ...}}``)."""
        inner = self.data.get(key)
        return _first(inner, keys, TITLE_LIMIT) if isinstance(inner, Mapping) else None

    def ident(self, key: str) -> str | None:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None
        text = clean(value)
        return f"#{clip(one_line(text), 20)}" if text else None


def _first(source: Any, keys: tuple[str, ...], limit: int) -> str | None:
    if not isinstance(source, Mapping):
        return None
    for key in keys:
        text = clean(source.get(key))
        if text:
            return clip(one_line(text), limit)
    return None


def _read(payload: Mapping[str, Any]) -> _Facts:
    data = payload.get("data") if isinstance(payload, Mapping) else None
    profile = payload.get("xprofile") if isinstance(payload, Mapping) else None
    actor = _first(profile, ("display_name", "username"), NAME_LIMIT)
    return _Facts(actor, data if isinstance(data, Mapping) else {})


def _quoted(text: str | None) -> str | None:
    return f'"{text}"' if text else None


# What an event is about, named as well as the data allows.


def _post(facts: _Facts) -> str | None:
    return _quoted(facts.name("title"))


def _parent_post(facts: _Facts) -> str:
    title = _quoted(facts.name("post_title", "feed_title") or facts.nested("post", "title"))
    return f"the post {title}" if title else "a post"


def _space_name(facts: _Facts) -> str | None:
    return facts.name("space_title", "space_name") or facts.nested("space", "title", "name")


def _named(noun: str, name: str | None, number: str | None, *, quote: bool = True) -> str:
    """``the course "Python 101"``, else ``course #3``, else ``a course``."""
    if name:
        return f"the {noun} {_quoted(name) if quote else name}"
    return f"{noun} {number}" if number else f"a {noun}"


def _space(facts: _Facts) -> str:
    return _named("space", _space_name(facts), facts.ident("space_id"), quote=False)


def _course(facts: _Facts) -> str:
    title = facts.name("course_title") or facts.nested("course", "title", "name")
    return _named("course", title, facts.ident("course_id"))


def _lesson(facts: _Facts) -> str:
    title = facts.name("lesson_title") or facts.nested("lesson", "title", "name")
    return _named("lesson", title, facts.ident("lesson_id"))


def _member(facts: _Facts) -> str:
    name = facts.nested("followed", "display_name", "username") or facts.name(
        "followed_display_name", "followed_username", "followed_name"
    )
    if name:
        return name
    number = facts.ident("followed_id")
    return f"member {number}" if number else "another member"


def _reacted_to(facts: _Facts) -> str:
    kind = clean(facts.data.get("object_type"))
    return "a comment" if kind == "comment" else "a post"


def _reported(facts: _Facts) -> str:
    if facts.ident("comment_id"):
        return "a comment"
    return "a post" if facts.ident("feed_id") else "some content"


def _reaction(facts: _Facts) -> str | None:
    return _quoted(facts.name("type", "reaction"))


def _space_of_itself(facts: _Facts) -> str:
    # A space event's data is the space itself: its own title names it.
    return _named("space", facts.name("title", "name"), facts.ident("id"), quote=False)


# One phrase per documented event.


def _feed(verb: str, fallback: str) -> Callable[[_Facts], str]:
    def phrase(facts: _Facts) -> str:
        title = _post(facts)
        return f"{facts.who} {verb} {title}" if title else f"{facts.who} {fallback}"

    return phrase


def _posted(facts: _Facts) -> str:
    title = _post(facts)
    if not title:
        return f"{facts.who} created a feed post"
    space = _space_name(facts)
    return (
        f"{facts.who} posted {title} in the space {space}"
        if space
        else f"{facts.who} posted {title}"
    )


def _reacted(facts: _Facts) -> str:
    kind = _reaction(facts)
    with_kind = f" with {kind}" if kind else ""
    return f"{facts.who} reacted{with_kind} to {_reacted_to(facts)}"


def _unreacted(facts: _Facts) -> str:
    kind = _reaction(facts)
    their = f"their {kind} reaction" if kind else "their reaction"
    return f"{facts.who} removed {their} from {_reacted_to(facts)}"


def _resolved(facts: _Facts) -> str:
    if facts.actor:
        return f"{facts.actor} resolved a report on {_reported(facts)}"
    return f"A report on {_reported(facts)} was resolved"


def _user_actor(facts: _Facts) -> _Facts:
    # A user event's data is the member; it names them when the payload has no xprofile.
    actor = facts.actor or _first(facts.data, ("display_name", "username"), NAME_LIMIT)
    return _Facts(actor, facts.data)


_PHRASES: dict[str, Callable[[_Facts], str]] = {
    "feed.created": _posted,
    "feed.updated": _feed("updated the post", "updated a feed post"),
    "feed.deleted": _feed("deleted the post", "deleted a feed post"),
    "feed.pinned": _feed("pinned the post", "pinned a feed post"),
    "feed.unpinned": _feed("unpinned the post", "unpinned a feed post"),
    "comment.created": lambda f: f"{f.who} commented on {_parent_post(f)}",
    "comment.updated": lambda f: f"{f.who} edited a comment on {_parent_post(f)}",
    "comment.deleted": lambda f: f"{f.who} deleted a comment on {_parent_post(f)}",
    "reaction.added": _reacted,
    "reaction.removed": _unreacted,
    "space.created": lambda f: f"{f.who} created {_space_of_itself(f)}",
    "space.updated": lambda f: f"{f.who} updated {_space_of_itself(f)}",
    "space.deleted": lambda f: f"{f.who} deleted {_space_of_itself(f)}",
    "space.member_joined": lambda f: f"{f.who} joined {_space(f)}",
    "space.member_left": lambda f: f"{f.who} left {_space(f)}",
    "user.registered": lambda f: f"{_user_actor(f).who} registered",
    "user.profile_updated": lambda f: f"{_user_actor(f).who} updated their profile",
    "user.followed": lambda f: f"{f.who} followed {_member(f)}",
    "user.unfollowed": lambda f: f"{f.who} unfollowed {_member(f)}",
    "course.enrolled": lambda f: f"{f.who} enrolled in {_course(f)}",
    "course.unenrolled": lambda f: f"{f.who} unenrolled from {_course(f)}",
    "lesson.completed": lambda f: f"{f.who} completed {_lesson(f)}",
    "report.created": lambda f: f"{f.who} reported {_reported(f)}",
    "report.resolved": _resolved,
}


_LABELS = {
    "feed.created": "New post",
    "feed.updated": "Post updated",
    "feed.deleted": "Post deleted",
    "feed.pinned": "Post pinned",
    "feed.unpinned": "Post unpinned",
    "comment.created": "New comment",
    "comment.updated": "Comment edited",
    "comment.deleted": "Comment deleted",
    "reaction.added": "New reaction",
    "reaction.removed": "Reaction removed",
    "space.created": "New space",
    "space.updated": "Space updated",
    "space.deleted": "Space deleted",
    "space.member_joined": "Member joined a space",
    "space.member_left": "Member left a space",
    "user.registered": "New member",
    "user.profile_updated": "Profile updated",
    "user.followed": "New follow",
    "user.unfollowed": "Unfollow",
    "course.enrolled": "Course enrollment",
    "course.unenrolled": "Course unenrollment",
    "lesson.completed": "Lesson completed",
    "report.created": "New report",
    "report.resolved": "Report resolved",
    TEST_EVENT: "Test message",
}


def _words(event: str) -> str:
    """``badge.awarded`` as "Badge awarded"."""
    text = one_line(clean(event.replace(".", " ").replace("_", " ")) or "") or "event"
    return clip(text[:1].upper() + text[1:], TITLE_LIMIT)


def sentence(event: str, payload: Mapping[str, Any], *, site: str | None = None) -> str:
    """A short sentence saying who did what, e.g. ``Bob joined the space Makers``.

    ``site`` names the sender in the test event's sentence ("Test message from <site>").
    """
    if event == TEST_EVENT:
        name = clean(site)
        return f"Test message from {clip(one_line(name), NAME_LIMIT) if name else DEFAULT_SITE}"
    facts = _read(payload)
    phrase = _PHRASES.get(event)
    if phrase is not None:
        return phrase(facts)
    # A site's own event: its name is all we know about it.
    return f"{facts.actor}: {_words(event).lower()}" if facts.actor else _words(event)


def label(event: str) -> str:
    """A title for the kind of event, e.g. "New post"; a site's own event by its name."""
    return _LABELS.get(event) or _words(event)


def excerpt(payload: Mapping[str, Any]) -> str | None:
    """The text the event carries (a post's or comment's message, a report's reason...)."""
    facts = _read(payload)
    for key in ("message", "description", "reason", "short_description"):
        text = clean(facts.data.get(key))
        if text:
            return clip(text, EXCERPT_LIMIT)
    return None


def details(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A few labelled facts for context lines: who caused the event, and where."""
    facts = _read(payload)
    found: list[tuple[str, str]] = []
    profile = payload.get("xprofile") if isinstance(payload, Mapping) else None
    username = _first(profile, ("username",), NAME_LIMIT)
    if facts.actor:
        who = facts.actor
        if username and username != facts.actor:
            who = f"{facts.actor} (@{username})"
        found.append(("Who", who))
    space = _space_name(facts)
    if space or facts.ident("space_id"):
        found.append(("Space", space or f"{facts.ident('space_id')}"))
    course = facts.name("course_title") or facts.nested("course", "title", "name")
    if course:
        found.append(("Course", course))
    return found
