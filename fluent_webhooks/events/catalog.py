"""The event catalog: the 24 documented events and any a host site registers."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import ConfigurationError
from .samples import SAMPLE_DATA

#: Subscribes a webhook to every event (allowed, but the spec discourages it).
ALL_EVENTS = "*"

#: The event of a payload sent by the "test webhook" endpoint; no webhook subscribes to it.
TEST_EVENT = "webhook.test"

_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True)
class EventType:
    name: str
    group: str
    description: str


BUILTIN_EVENTS: tuple[EventType, ...] = (
    EventType("feed.created", "feed", "A new feed post is created"),
    EventType("feed.updated", "feed", "A feed post is updated"),
    EventType("feed.deleted", "feed", "A feed post is deleted"),
    EventType("feed.pinned", "feed", "A feed post is pinned"),
    EventType("feed.unpinned", "feed", "A feed post is unpinned"),
    EventType("comment.created", "comment", "A new comment is added"),
    EventType("comment.updated", "comment", "A comment is updated"),
    EventType("comment.deleted", "comment", "A comment is deleted"),
    EventType("reaction.added", "reaction", "A reaction is added to content"),
    EventType("reaction.removed", "reaction", "A reaction is removed from content"),
    EventType("space.created", "space", "A new space is created"),
    EventType("space.updated", "space", "A space is updated"),
    EventType("space.deleted", "space", "A space is deleted"),
    EventType("space.member_joined", "space", "A user joins a space"),
    EventType("space.member_left", "space", "A user leaves a space"),
    EventType("user.registered", "user", "A new user registers"),
    EventType("user.profile_updated", "user", "A user's profile is updated"),
    EventType("user.followed", "user", "A user follows another user"),
    EventType("user.unfollowed", "user", "A user unfollows another user"),
    EventType("course.enrolled", "course", "A user enrolls in a course"),
    EventType("course.unenrolled", "course", "A user unenrolls from a course"),
    EventType("lesson.completed", "course", "A user completes a lesson"),
    EventType("report.created", "moderation", "A moderation report is submitted"),
    EventType("report.resolved", "moderation", "A moderation report is resolved"),
)


class EventRegistry:
    """The events webhooks may subscribe to, in catalog order."""

    def __init__(self, builtin: tuple[EventType, ...] = BUILTIN_EVENTS) -> None:
        self._builtin = builtin
        self._events: dict[str, EventType] = {}
        self.reset()

    def reset(self) -> None:
        """Forget every event a host registered, keeping the documented ones."""
        self._events = {event.name: event for event in self._builtin}
        self._samples: dict[str, dict[str, Any]] = {}

    def register(
        self, name: str, group: str, description: str, sample: Mapping[str, Any] | None = None
    ) -> EventType:
        """Add a host site's own event beside the documented ones; ``sample`` is the ``data``
        previews show for it."""
        if not _EVENT_NAME.match(name):
            raise ConfigurationError(
                f"Event name {name!r} must be dotted lower-case words, like 'badge.awarded'."
            )
        event = EventType(name, group, description)
        existing = self._events.get(name)
        if existing is not None and existing != event:
            raise ConfigurationError(f"Event {name!r} is already registered as {existing}.")
        self._events[name] = event
        if sample is not None:
            self._samples[name] = dict(sample)
        return event

    def sample(self, name: str) -> dict[str, Any]:
        """Example ``data`` of an event, for previews: the documented events' from the example
        community, a site's own as it registered them, the test event's as the test sends."""
        if name in self._samples:
            return dict(self._samples[name])
        if name == TEST_EVENT:
            return {"webhook_id": 0, "message": "This is a test webhook from fluent-webhooks."}
        return dict(SAMPLE_DATA.get(name, {}))

    def get(self, name: str) -> EventType | None:
        return self._events.get(name)

    def names(self) -> list[str]:
        return list(self._events)

    def grouped(self) -> dict[str, list[EventType]]:
        groups: dict[str, list[EventType]] = {}
        for event in self._events.values():
            groups.setdefault(event.group, []).append(event)
        return groups

    def __contains__(self, name: object) -> bool:
        return name in self._events

    def __iter__(self) -> Iterator[EventType]:
        return iter(self._events.values())

    def __len__(self) -> int:
        return len(self._events)


registry = EventRegistry()


def subscribes_to(subscribed: list[str], event_name: str) -> bool:
    """Whether a webhook subscribed to ``subscribed`` receives ``event_name``."""
    return event_name in subscribed or ALL_EVENTS in subscribed
